package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/fspd/fspd/clients/go/internal/testserver"
)

// The example end to end against a real server: both stages, evaluation, checkpoint, cleanup.
func TestExampleDrivesATwoStageSession(t *testing.T) {
	address := os.Getenv("FSPD_TEST_ADDRESS")
	if address == "" {
		srv, err := testserver.Start()
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Stop()
		address = srv.Address
	}
	var out bytes.Buffer
	err := run(context.Background(), config{
		address: address, teacherDepth: 14, studentDepth: 8, width: 1, fspSteps: 4, ceSteps: 4,
		batchSize: 8, evalN: 32, progressEvery: 2, learningRate: 0.01, seed: 1,
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		if strings.Contains(err.Error(), "Unimplemented") {
			t.Skipf("server answers UNIMPLEMENTED: %v", err)
		}
		t.Fatal(err)
	}
	for _, want := range []string{"stage 1 (FSP)", "stage 2 (cross-entropy)", "final: accuracy", "checkpoint final"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
