//go:build unix

package fspd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
	"google.golang.org/grpc/codes"
)

// SharedMemory is a region for a client on the same host or in the same pod as its server: the file
// dir/name (dir is where this process sees the server's --shared-memory-dir), mapped here and registered
// with the server. Tensors put into it travel as references instead of bytes, and FspLoss can write the
// gradients into it (FspLossRequest.GradientsTo). One region serves one call at a time; a region belongs
// to one server, so use it with a single-address client.
type SharedMemory struct {
	Name   string
	Path   string
	Region *fspdv1.SharedMemoryRegion
	data   []byte
	used   int64
	client *Client
}

const sharedAlign = 64 // each tensor starts on a cache line

// littleEndian: tensors are little-endian on the wire, and the region is read and written in place.
var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// NewSharedMemory creates dir/name with size bytes, maps it and registers it as region name.
//
// A file left over (a crashed process's: no region of the server is named name or uses a file of that
// name) is truncated and reused. When the server has such a region, the error names it and wraps
// fs.ErrExist, and nothing is touched: its owner and the server map that file, and truncating or deleting
// it would zero their data (or SIGBUS them). When a later step fails, the file is deleted only if this call
// created it.
func NewSharedMemory(ctx context.Context, c *Client, dir, name string, size int64) (*SharedMemory, error) {
	if !littleEndian {
		return nil, fmt.Errorf("fspd: shared memory needs a little-endian host (tensors are little-endian in place)")
	}
	if size < 1 {
		return nil, fmt.Errorf("fspd: shared memory %q: size: expected >= 1 byte, got %d", name, size)
	}
	list, err := c.SharedMemory.ListSharedMemory(ctx, &fspdv1.ListSharedMemoryRequest{})
	if err != nil {
		return nil, err
	}
	for _, r := range list.GetRegions() {
		if r.GetName() == name || r.GetPath() == name {
			return nil, fmt.Errorf("fspd: shared memory %q: the server has region %q registered on file %q; close it first or choose another name: %w",
				name, r.GetName(), r.GetPath(), os.ErrExist)
		}
	}
	path := filepath.Join(dir, name)
	created := true
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // left over: no region uses it (listed above)
		created = false
		f, err = os.OpenFile(path, os.O_RDWR|os.O_TRUNC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("fspd: shared memory: %w", err)
	}
	defer f.Close() // the mapping keeps the file
	cleanUp := func() {
		if created { // a file that was there before stays
			os.Remove(path)
		}
	}
	if err := f.Truncate(size); err != nil {
		cleanUp()
		return nil, fmt.Errorf("fspd: shared memory: %w", err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		cleanUp()
		return nil, fmt.Errorf("fspd: shared memory: mmap %s: %w", path, err)
	}
	res, err := c.SharedMemory.RegisterSharedMemory(ctx, &fspdv1.RegisterSharedMemoryRequest{Name: name, Path: name, ByteSize: uint64(size)})
	if err != nil {
		syscall.Munmap(data)
		cleanUp()
		return nil, err
	}
	return &SharedMemory{Name: name, Path: path, Region: res.GetRegion(), data: data, client: c}, nil
}

// Reset frees every tensor put so far: the next one starts at offset 0.
func (s *SharedMemory) Reset() { s.used = 0 }

// Reserve returns the offset of n fresh bytes in the region.
func (s *SharedMemory) Reserve(n int64) (int64, error) {
	offset := (s.used + sharedAlign - 1) / sharedAlign * sharedAlign
	if offset+n > int64(len(s.data)) {
		return 0, fmt.Errorf("fspd: shared memory %q: %d more bytes at offset %d exceed its %d bytes", s.Name, n, offset, len(s.data))
	}
	s.used = offset + n
	return offset, nil
}

// Ref is a reference to offset in this region.
func (s *SharedMemory) Ref(offset int64) *fspdv1.SharedMemoryRef {
	return &fspdv1.SharedMemoryRef{Region: s.Name, Offset: uint64(offset)}
}

// PutFloat32 copies row-major float32 data of the given shape into the region and returns the Tensor
// that refers to it.
func (s *SharedMemory) PutFloat32(shape []int64, data []float32) (*fspdv1.Tensor, error) {
	offset, err := s.Reserve(int64(4 * len(data)))
	if err != nil {
		return nil, err
	}
	copy(s.floats(offset, len(data)), data)
	return &fspdv1.Tensor{Dtype: fspdv1.DataType_DATA_TYPE_FLOAT32, Shape: append([]int64(nil), shape...), SharedMemory: s.Ref(offset)}, nil
}

// Float32View is the elements of a float32 response tensor that lies in this region (e.g. a gradient),
// shared with the region: copy them before the region is reused.
func (s *SharedMemory) Float32View(t *fspdv1.Tensor) ([]float32, error) {
	ref := t.GetSharedMemory()
	if ref == nil || ref.GetRegion() != s.Name || t.GetDtype() != fspdv1.DataType_DATA_TYPE_FLOAT32 {
		return nil, fmt.Errorf("fspd: tensor is not float32 in shared-memory region %q", s.Name)
	}
	n := int64(1)
	for _, d := range t.GetShape() {
		n *= d
	}
	offset := int64(ref.GetOffset())
	if offset%4 != 0 || offset+4*n > int64(len(s.data)) {
		return nil, fmt.Errorf("fspd: tensor of shape %v at offset %d does not fit region %q", t.GetShape(), offset, s.Name)
	}
	return s.floats(offset, int(n)), nil
}

// floats views n float32s at offset (the mapping is page-aligned and offsets are multiples of 4).
func (s *SharedMemory) floats(offset int64, n int) []float32 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s.data[offset])), n)
}

// Close unregisters the region, then unmaps it and deletes the file. When unregistering fails (ctx done, or
// FAILED_PRECONDITION with reason IN_USE while calls use the region) it returns that error and keeps the
// mapping and the file, which the server may still read and write: call Close again. NOT_FOUND (the server
// no longer has the region, e.g. it restarted) counts as unregistered.
func (s *SharedMemory) Close(ctx context.Context) error {
	if s.data == nil {
		return nil
	}
	_, err := s.client.SharedMemory.UnregisterSharedMemory(ctx, &fspdv1.UnregisterSharedMemoryRequest{Name: s.Name})
	if err != nil && Code(err) != codes.NotFound {
		return err
	}
	err = syscall.Munmap(s.data)
	s.data = nil
	if rerr := os.Remove(s.Path); err == nil {
		err = rerr
	}
	return err
}
