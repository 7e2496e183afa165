package fspd

import (
	"context"
	"errors"
	"io"

	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
)

// Run starts the server's training loop (TrainingService.Run) and calls onEvent with each progress,
// evaluation and checkpoint message until the run ends; it returns the last evaluation (nil if none).
// Cancel ctx to stop the run (the session keeps the steps completed).
func (c *Client) Run(ctx context.Context, req *fspdv1.RunRequest, onEvent func(*fspdv1.RunResponse)) (*fspdv1.Evaluation, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Training.Run(ctx, req)
	if err != nil {
		return nil, err
	}
	var last *fspdv1.Evaluation
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return last, nil
		}
		if err != nil {
			return last, err
		}
		if e := ev.GetEvaluation(); e != nil {
			last = e
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
}

// Train streams batches over one TrainingService.Train stream, a step per batch, and calls onStep with
// each step's result as it comes; it returns the results in order.
func (c *Client) Train(ctx context.Context, sessionID string, batches []*fspdv1.Batch, onStep func(*fspdv1.StepResult)) ([]*fspdv1.StepResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Training.Train(ctx)
	if err != nil {
		return nil, err
	}
	sendErr := make(chan error, 1)
	go func() {
		for i, b := range batches {
			req := &fspdv1.TrainRequest{Batch: b}
			if i == 0 {
				req.SessionId = sessionID
			}
			if err := stream.Send(req); err != nil {
				sendErr <- err // the Recv side reports the status
				return
			}
		}
		sendErr <- stream.CloseSend()
	}()
	results := make([]*fspdv1.StepResult, 0, len(batches))
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return results, err
		}
		results = append(results, res.GetResult())
		if onStep != nil {
			onStep(res.GetResult())
		}
	}
	if err := <-sendErr; err != nil && !errors.Is(err, io.EOF) {
		return results, err
	}
	return results, nil
}
