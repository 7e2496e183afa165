// Command fspd-train drives a remote two-stage FSP training session on an fspd server (Yim et al. 2017):
// it builds a teacher and a student ResNet on the server, runs stage 1 (the student learns the teacher's
// FSP matrices) and stage 2 (cross-entropy) over the server's embedded MNIST, evaluates, and saves a
// checkpoint, printing progress as it comes.
//
//	go run ./cmd/fspd-train -address 127.0.0.1:50051 -fsp-steps 200 -ce-steps 200
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	fspd "github.com/fspd/fspd/clients/go"
	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
	"google.golang.org/protobuf/proto"
)

type config struct {
	address, token, tlsCA               string
	teacherDepth, studentDepth, width   uint
	fspSteps, ceSteps, batchSize, evalN uint
	progressEvery                       uint
	learningRate                        float64
	seed                                uint
	keep                                bool
}

func main() {
	var c config
	flag.StringVar(&c.address, "address", "127.0.0.1:50051", "fspd server (host:port or unix:/path)")
	flag.StringVar(&c.token, "token", os.Getenv("FSPD_TOKEN"), "bearer token (default $FSPD_TOKEN)")
	flag.StringVar(&c.tlsCA, "tls-ca", "", "PEM CA bundle: connect over TLS trusting it")
	flag.UintVar(&c.teacherDepth, "teacher-depth", 14, "teacher ResNet depth (6n+2)")
	flag.UintVar(&c.studentDepth, "student-depth", 8, "student ResNet depth (6n+2)")
	flag.UintVar(&c.width, "width", 1, "width multiplier of both")
	flag.UintVar(&c.fspSteps, "fsp-steps", 100, "stage 1 steps")
	flag.UintVar(&c.ceSteps, "ce-steps", 100, "stage 2 steps")
	flag.UintVar(&c.batchSize, "batch", 64, "samples per step")
	flag.UintVar(&c.evalN, "eval-samples", 1000, "test samples evaluated (0 = all)")
	flag.UintVar(&c.progressEvery, "progress-every", 10, "print progress every n steps")
	flag.Float64Var(&c.learningRate, "lr", 0, "constant learning rate of both stages (0 = the paper's schedules)")
	flag.UintVar(&c.seed, "seed", 1, "seed of the weights and of the data order")
	flag.BoolVar(&c.keep, "keep", false, "keep the session and models on the server")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "fspd-train: %v (code %v)\n", err, fspd.Code(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, out io.Writer) error {
	opts := []fspd.Option{fspd.WithToken(c.token)}
	if c.tlsCA != "" {
		opts = append(opts, fspd.WithTLSFiles(c.tlsCA, "", ""))
	}
	client, err := fspd.Dial(ctx, c.address, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	mnist := []int64{28, 28, 1}
	build := func(depth uint, seed uint32) (*fspdv1.Model, error) {
		res, err := client.Models.CreateModel(ctx, &fspdv1.CreateModelRequest{
			Architecture: &fspdv1.CreateModelRequest_Resnet{Resnet: &fspdv1.ResNetSpec{
				Depth: uint32(depth), WidthMultiplier: uint32(c.width), InputShape: mnist, Seed: proto.Uint32(seed),
			}},
		})
		if err != nil {
			return nil, fmt.Errorf("CreateModel resnet%d: %w", depth, err)
		}
		return res.GetModel(), nil
	}
	teacher, err := build(c.teacherDepth, uint32(c.seed))
	if err != nil {
		return err
	}
	student, err := build(c.studentDepth, uint32(c.seed)+1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "teacher %s (%s, %d parameters), student %s (%s, %d parameters)\n",
		teacher.GetModelId(), teacher.GetName(), teacher.GetParameterCount(), student.GetModelId(), student.GetName(), student.GetParameterCount())

	spec := &fspdv1.SessionSpec{StudentModelId: student.GetModelId(), TeacherModelId: teacher.GetModelId(), Seed: proto.Uint32(uint32(c.seed))}
	if c.learningRate > 0 {
		spec.FspSchedule = &fspdv1.Schedule{LearningRates: []float32{float32(c.learningRate)}, UntilSteps: []uint64{uint64(c.fspSteps)}}
		spec.CrossEntropySchedule = &fspdv1.Schedule{LearningRates: []float32{float32(c.learningRate)}, UntilSteps: []uint64{uint64(c.ceSteps)}}
	}
	created, err := client.Training.CreateSession(ctx, &fspdv1.CreateSessionRequest{Spec: spec, Stage: fspdv1.Stage_STAGE_FSP})
	if err != nil {
		return fmt.Errorf("CreateSession: %w", err)
	}
	id := created.GetSession().GetSessionId()
	fmt.Fprintf(out, "session %s, stage %v\n", id, created.GetSession().GetStage())
	if !c.keep {
		defer func() {
			cleanup, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = client.Training.DeleteSession(cleanup, &fspdv1.DeleteSessionRequest{SessionId: id})
			for _, m := range []string{student.GetModelId(), teacher.GetModelId()} {
				_, _ = client.Models.DeleteModel(cleanup, &fspdv1.DeleteModelRequest{ModelId: m})
			}
		}()
	}

	evalSet := &fspdv1.DatasetSpec{Name: fspdv1.DatasetName_DATASET_NAME_MNIST, Split: fspdv1.Split_SPLIT_TEST, Limit: uint32(c.evalN)}
	stage := func(name string, steps uint) error {
		if steps == 0 {
			return nil
		}
		fmt.Fprintf(out, "== %s: %d steps of %d\n", name, steps, c.batchSize)
		last, err := client.Run(ctx, &fspdv1.RunRequest{
			SessionId:       id,
			Dataset:         &fspdv1.DatasetSpec{Name: fspdv1.DatasetName_DATASET_NAME_MNIST},
			BatchSize:       uint32(c.batchSize),
			Steps:           uint64(steps),
			ProgressEvery:   uint32(c.progressEvery),
			EvaluateDataset: evalSet,
		}, func(ev *fspdv1.RunResponse) {
			switch e := ev.GetEvent().(type) {
			case *fspdv1.RunResponse_Progress:
				p := e.Progress
				fmt.Fprintf(out, "step %6d [%d/%d] loss %.5g acc %.3f lr %.3g %.0f samples/s\n", p.GetLastStep().GetStep(), p.GetStepsDone(), p.GetStepsTotal(),
					p.GetMeanLoss(), p.GetMeanAccuracy(), p.GetLastStep().GetLearningRate(), p.GetSamplesPerSecond())
			case *fspdv1.RunResponse_Checkpoint:
				fmt.Fprintf(out, "checkpoint %s at step %d\n", e.Checkpoint.GetCheckpointId(), e.Checkpoint.GetStep())
			}
		})
		if err != nil {
			return fmt.Errorf("Run (%s): %w", name, err)
		}
		if last != nil {
			fmt.Fprintf(out, "eval: accuracy %.4f cross-entropy %.4f fsp %.4g on %d test samples\n", last.GetAccuracy(), last.GetCrossEntropy(), last.GetFspLoss(), last.GetSamples())
		}
		return nil
	}
	if err := stage("stage 1 (FSP)", c.fspSteps); err != nil {
		return err
	}
	if _, err := client.Training.SetStage(ctx, &fspdv1.SetStageRequest{SessionId: id, Stage: fspdv1.Stage_STAGE_CROSS_ENTROPY}); err != nil {
		return fmt.Errorf("SetStage: %w", err)
	}
	if err := stage("stage 2 (cross-entropy)", c.ceSteps); err != nil {
		return err
	}
	ev, err := client.Training.Evaluate(ctx, &fspdv1.EvaluateRequest{
		Target: &fspdv1.EvaluateRequest_SessionId{SessionId: id},
		Data:   &fspdv1.EvaluateRequest_Dataset{Dataset: evalSet},
	})
	if err != nil {
		return fmt.Errorf("Evaluate: %w", err)
	}
	fmt.Fprintf(out, "final: accuracy %.4f on %d MNIST test samples\n", ev.GetEvaluation().GetAccuracy(), ev.GetEvaluation().GetSamples())
	ck, err := client.Training.SaveCheckpoint(ctx, &fspdv1.SaveCheckpointRequest{SessionId: id, CheckpointId: "final"})
	if err != nil {
		return fmt.Errorf("SaveCheckpoint: %w", err)
	}
	fmt.Fprintf(out, "checkpoint %s: step %d, %d bytes\n", ck.GetCheckpoint().GetCheckpointId(), ck.GetCheckpoint().GetStep(), ck.GetCheckpoint().GetSizeBytes())
	return nil
}
