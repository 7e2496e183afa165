//go:build unix

package fspd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fspd "github.com/fspd/fspd/clients/go"
	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
	"github.com/fspd/fspd/clients/go/internal/testserver"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// shmServer starts a server of its own with a fresh shared-memory directory (on /dev/shm when there is
// one) and dials it; everything goes at the test's end.
func shmServer(t *testing.T) (string, *fspd.Client, context.Context) {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "fspd-go-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	srv, err := testserver.Start("--shared-memory-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	c, err := fspd.Dial(ctx, srv.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return dir, c, ctx
}

// regionNames lists the server's regions as "name:path:size".
func regionNames(t *testing.T, ctx context.Context, c *fspd.Client) []string {
	t.Helper()
	list, err := c.SharedMemory.ListSharedMemory(ctx, &fspdv1.ListSharedMemoryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range list.GetRegions() {
		out = append(out, fmt.Sprintf("%s:%s:%d", r.GetName(), r.GetPath(), r.GetByteSize()))
	}
	return out
}

// FspLoss through a shared-memory region (maps put in, gradients written back) and TeacherFsp's matrices
// written into it (matrices_to) equal the same calls with the bytes inline, bit for bit; closing unregisters
// the region and deletes its file.
func TestSharedMemoryFspLossEqualsInline(t *testing.T) {
	dir, c, ctx := shmServer(t)
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

// NewSharedMemory with the name or the file of a registered region fails with fs.ErrExist naming it and
// touches nothing: it used to truncate the live region's file (zeroing its data) and then delete it.
func TestSharedMemoryLeavesALiveRegionAlone(t *testing.T) {
	dir, c, ctx := shmServer(t)
	live, err := fspd.NewSharedMemory(ctx, c, dir, "live", 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close(ctx)
	values := []float32{1.5, -2, 3, 4}
	tensor, err := live.PutFloat32([]int64{4}, values)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{4096, 64} {
		again, err := fspd.NewSharedMemory(ctx, c, dir, "live", size)
		got, verr := live.Float32View(tensor)
		if verr != nil {
			t.Fatal(verr)
		}
		for i := range values {
			if got[i] != values[i] {
				t.Fatalf("the live region's data changed: %v, want %v", got, values)
			}
		}
		if st, err := os.Stat(live.Path); err != nil || st.Size() != 4096 {
			t.Fatalf("the live region's file: %v; want 4096 bytes", err)
		}
		if again != nil || !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), `the server has region "live" registered on file "live"`) {
			t.Fatalf("a second NewSharedMemory %q of %d bytes: %v, %v; want fs.ErrExist naming the region", "live", size, again, err)
		}
	}
	if got := regionNames(t, ctx, c); strings.Join(got, " ") != "live:live:4096" {
		t.Fatalf("regions %v, want live:live:4096", got)
	}

	// A region registered on another file name: its file is not touched either, and its name is taken.
	other := filepath.Join(dir, "file-of-other")
	if err := os.WriteFile(other, bytes.Repeat([]byte{9}, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SharedMemory.RegisterSharedMemory(ctx, &fspdv1.RegisterSharedMemoryRequest{Name: "other", Path: "file-of-other", ByteSize: 4096}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"file-of-other", "other"} {
		if _, err := fspd.NewSharedMemory(ctx, c, dir, name, 64); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), `region "other" registered on file "file-of-other"`) {
			t.Fatalf("NewSharedMemory %q: %v; want fs.ErrExist naming region other", name, err)
		}
	}
	if b, err := os.ReadFile(other); err != nil || !bytes.Equal(b, bytes.Repeat([]byte{9}, 4096)) {
		t.Fatalf("the other region's file changed (%d bytes, %v)", len(b), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); !os.IsNotExist(err) {
		t.Fatalf("a file named after region other was made: %v", err)
	}
	if _, err := c.SharedMemory.UnregisterSharedMemory(ctx, &fspdv1.UnregisterSharedMemoryRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
}

// A file left over (no region uses it) is reused at the new size; when a later step fails, a file the call
// created is deleted and one that was there before stays.
func TestSharedMemoryDeletesOnlyAFileItCreated(t *testing.T) {
	dir, c, ctx := shmServer(t)
	leftOver := filepath.Join(dir, "left-over")
	if err := os.WriteFile(leftOver, bytes.Repeat([]byte{0xff}, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	shm, err := fspd.NewSharedMemory(ctx, c, dir, "left-over", 8192)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(leftOver); err != nil || !bytes.Equal(b, make([]byte, 8192)) {
		t.Fatalf("the left-over file: %d bytes (%v); want 8192 zeros", len(b), err)
	}
	if err := shm.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// The server refuses the name (no spaces), after the file was made.
	bad := filepath.Join(dir, "bad name")
	if _, err := fspd.NewSharedMemory(ctx, c, dir, "bad name", 64); fspd.Code(err) != codes.InvalidArgument {
		t.Fatalf("NewSharedMemory %q: %v; want INVALID_ARGUMENT", "bad name", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("the file created for a refused region is still there: %v", err)
	}
	if err := os.WriteFile(bad, []byte("left over"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fspd.NewSharedMemory(ctx, c, dir, "bad name", 64); fspd.Code(err) != codes.InvalidArgument {
		t.Fatalf("NewSharedMemory %q over a left-over file: %v; want INVALID_ARGUMENT", "bad name", err)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Fatalf("a file that was there before was deleted: %v", err)
	}
	if _, err := fspd.NewSharedMemory(ctx, c, dir, "empty", 0); err == nil || !strings.Contains(err.Error(), "size: expected >= 1 byte, got 0") {
		t.Fatalf("size 0: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "empty")); !os.IsNotExist(err) {
		t.Fatalf("a file was made for size 0: %v", err)
	}
}

// Close returns the error when unregistering fails and keeps the mapping and the file (the server may
// still use them), so a second Close can finish; it used to unmap and delete anyway and then return nil.
func TestSharedMemoryCloseKeepsTheRegionWhenUnregisterFails(t *testing.T) {
	dir, c, ctx := shmServer(t)
	shm, err := fspd.NewSharedMemory(ctx, c, dir, "closing", 4096)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := shm.Close(done); fspd.Code(err) != codes.Canceled {
		t.Fatalf("Close with a cancelled context: %v; want CANCELLED", err)
	}
	if got := regionNames(t, ctx, c); strings.Join(got, " ") != "closing:closing:4096" {
		t.Fatalf("regions %v after the failed Close, want closing:closing:4096", got)
	}
	if _, err := os.Stat(shm.Path); err != nil {
		t.Fatalf("the file went with the failed Close: %v", err)
	}
	tensor, err := shm.PutFloat32([]int64{2}, []float32{7, -7})
	if err != nil {
		t.Fatalf("the mapping went with the failed Close: %v", err)
	}
	if got, err := shm.Float32View(tensor); err != nil || got[0] != 7 || got[1] != -7 {
		t.Fatalf("the region reads %v, %v after the failed Close", got, err)
	}
	if err := shm.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := regionNames(t, ctx, c); len(got) != 0 {
		t.Fatalf("regions %v after the second Close", got)
	}
	if _, err := os.Stat(shm.Path); !os.IsNotExist(err) {
		t.Fatalf("the file is still there after the second Close: %v", err)
	}

	// The server no longer has the region (e.g. it restarted): Close unmaps and deletes all the same.
	gone, err := fspd.NewSharedMemory(ctx, c, dir, "gone", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SharedMemory.UnregisterSharedMemory(ctx, &fspdv1.UnregisterSharedMemoryRequest{Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := gone.Close(ctx); err != nil {
		t.Fatalf("Close of a region the server no longer has: %v", err)
	}
	if _, err := os.Stat(gone.Path); !os.IsNotExist(err) {
		t.Fatalf("the file is still there: %v", err)
	}
}
