//go:build unix

package fspd_test

import (
	"context"
	"math"
	"math/rand"
	"os"
	"testing"
	"time"

	fspd "github.com/fspd/fspd/clients/go"
	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
	"github.com/fspd/fspd/clients/go/internal/testserver"
	"google.golang.org/protobuf/proto"
)

// FspLoss through a shared-memory region (maps put in, gradients written back) and TeacherFsp's matrices
// written into it (matrices_to) equal the same calls with the bytes inline, bit for bit; closing unregisters
// the region and deletes its file.
func TestSharedMemoryFspLossEqualsInline(t *testing.T) {
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "fspd-go-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := testserver.Start("--shared-memory-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := fspd.Dial(ctx, srv.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	r := rand.New(rand.NewSource(5))
	randn := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(r.NormFloat64())
		}
		return out
	}
	nchw := fspdv1.Layout_LAYOUT_NCHW
	s1, s2 := []int64{3, 4, 6, 5}, []int64{3, 7, 6, 5}
	sa, sb, ta, tb := randn(3*4*30), randn(3*7*30), randn(3*4*30), randn(3*7*30)
	teacher := []*fspdv1.FeaturePair{fspd.Pair(nchw, fspd.Float32Tensor(s1, ta), fspd.Float32Tensor(s2, tb))}
	inline, err := c.FSP.FspLoss(ctx, &fspdv1.FspLossRequest{
		Student: []*fspdv1.FeaturePair{fspd.Pair(nchw, fspd.Float32Tensor(s1, sa), fspd.Float32Tensor(s2, sb))}, Teacher: teacher, ReturnGradients: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	shm, err := fspd.NewSharedMemory(ctx, c, dir, "go-test", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	first, err := shm.PutFloat32(s1, sa)
	if err != nil {
		t.Fatal(err)
	}
	second, err := shm.PutFloat32(s2, sb)
	if err != nil {
		t.Fatal(err)
	}
	at, err := shm.Reserve(int64(4 * (len(sa) + len(sb))))
	if err != nil {
		t.Fatal(err)
	}
	via, err := c.FSP.FspLoss(ctx, &fspdv1.FspLossRequest{
		Student: []*fspdv1.FeaturePair{fspd.Pair(nchw, first, second)}, Teacher: teacher, ReturnGradients: true, GradientsTo: shm.Ref(at),
	})
	if err != nil {
		t.Fatal(err)
	}
	if via.GetLoss() != inline.GetLoss() {
		t.Fatalf("loss %v through shared memory, %v inline", via.GetLoss(), inline.GetLoss())
	}
	for k, pick := range []func(*fspdv1.FeaturePair) *fspdv1.Tensor{(*fspdv1.FeaturePair).GetFirst, (*fspdv1.FeaturePair).GetSecond} {
		got, err := shm.Float32View(pick(via.GetStudentGradients()[0]))
		if err != nil {
			t.Fatal(err)
		}
		want, err := fspd.Float32s(pick(inline.GetStudentGradients()[0]))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("gradient %d: %d elements, want %d", k, len(got), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("gradient %d [%d] = %v through shared memory, %v inline", k, i, got[i], want[i])
			}
		}
	}

	// A server teacher's matrices into the region: ids only (cached by the inline call), float32, read in place.
	if _, err := c.Models.CreateModel(ctx, &fspdv1.CreateModelRequest{ModelId: "go-shm-teacher", Architecture: &fspdv1.CreateModelRequest_Resnet{
		Resnet: &fspdv1.ResNetSpec{Depth: 8, InputShape: []int64{8, 8, 1}, Seed: proto.Uint32(3)}}}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"a", "b", "c"}
	wantT, err := c.FSP.TeacherFsp(ctx, &fspdv1.TeacherFspRequest{ModelId: "go-shm-teacher", Images: fspd.Float32Tensor([]int64{3, 8, 8, 1}, randn(3*64)), SampleIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	room := int64(0)
	for _, m := range wantT.GetMatrices() {
		room += int64(len(m.GetData()))
	}
	mat, err := shm.Reserve(room)
	if err != nil {
		t.Fatal(err)
	}
	gotT, err := c.FSP.TeacherFsp(ctx, &fspdv1.TeacherFspRequest{ModelId: "go-shm-teacher", SampleIds: ids, MatricesTo: shm.Ref(mat)})
	if err != nil {
		t.Fatal(err)
	}
	if len(gotT.GetMatrices()) != len(wantT.GetMatrices()) || len(gotT.GetMatrices()) == 0 {
		t.Fatalf("%d matrices through shared memory, %d inline", len(gotT.GetMatrices()), len(wantT.GetMatrices()))
	}
	for k, m := range gotT.GetMatrices() {
		got, err := shm.Float32View(m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fspd.Float32s(wantT.GetMatrices()[k])
		if err != nil {
			t.Fatal(err)
		}
		if len(m.GetData()) != 0 || len(got) != len(want) {
			t.Fatalf("matrices %d: %d inline bytes and %d elements in the region, want 0 and %d", k, len(m.GetData()), len(got), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("matrices %d [%d] = %v through shared memory, %v inline", k, i, got[i], want[i])
			}
		}
	}

	if _, err := shm.Reserve(1 << 20); err == nil {
		t.Fatal("reserving past the region's end must fail")
	}
	if err := shm.Close(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := c.SharedMemory.ListSharedMemory(ctx, &fspdv1.ListSharedMemoryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRegions()) != 0 {
		t.Fatalf("regions after Close: %v", list.GetRegions())
	}
	if _, err := os.Stat(shm.Path); !os.IsNotExist(err) {
		t.Fatalf("the region's file is still there: %v", err)
	}
}
