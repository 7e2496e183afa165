package fspd_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	fspd "github.com/fspd/fspd/clients/go"
)

// Float32Tensor, Int32Tensor and Float32s against encoding/binary element by element: the wire's
// little-endian bytes, every bit pattern kept (NaN payloads, -0, infinities, subnormals).
func TestTensorBytesMatchEncodingBinary(t *testing.T) {
	bits := []uint32{0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0xffbfffff, 0x00000001, 0x807fffff, 0x3f800000, 0xc0490fdb}
	data := make([]float32, 0, 1000)
	for i := 0; i < 1000; i++ {
		data = append(data, math.Float32frombits(bits[i%len(bits)]^uint32(i*2654435761)))
	}
	want := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(want[4*i:], math.Float32bits(v))
	}
	tensor := fspd.Float32Tensor([]int64{10, 100}, data)
	if !bytes.Equal(tensor.GetData(), want) {
		t.Fatal("Float32Tensor: bytes differ from encoding/binary's")
	}
	back, err := fspd.Float32s(tensor)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if math.Float32bits(back[i]) != math.Float32bits(data[i]) {
			t.Fatalf("Float32s[%d]: bits %#x, want %#x", i, math.Float32bits(back[i]), math.Float32bits(data[i]))
		}
	}
	ints := []int32{0, -1, math.MaxInt32, math.MinInt32, 12345}
	wantInts := make([]byte, 4*len(ints))
	for i, v := range ints {
		binary.LittleEndian.PutUint32(wantInts[4*i:], uint32(v))
	}
	if !bytes.Equal(fspd.Int32Tensor([]int64{5}, ints).GetData(), wantInts) {
		t.Fatal("Int32Tensor: bytes differ from encoding/binary's")
	}
	// Empty tensors, and a shape that does not match the bytes.
	if empty, err := fspd.Float32s(fspd.Float32Tensor([]int64{0, 3}, nil)); err != nil || len(empty) != 0 {
		t.Fatalf("empty tensor: %v, %v", empty, err)
	}
	if _, err := fspd.Float32s(fspd.Float32Tensor([]int64{3}, []float32{1, 2})); err == nil {
		t.Fatal("Float32s: a 2-element tensor of shape [3] was accepted")
	}
}
