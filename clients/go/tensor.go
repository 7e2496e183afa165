package fspd

import (
	"encoding/binary"
	"fmt"
	"math"

	fspdv1 "github.com/fspd/fspd/clients/go/gen/fspd/v1"
)

// Float32Tensor packs row-major float32 data of the given shape (little-endian).
func Float32Tensor(shape []int64, data []float32) *fspdv1.Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &fspdv1.Tensor{Dtype: fspdv1.DataType_DATA_TYPE_FLOAT32, Shape: append([]int64(nil), shape...), Data: b}
}

// Int32Tensor packs int32 data (class labels).
func Int32Tensor(shape []int64, data []int32) *fspdv1.Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return &fspdv1.Tensor{Dtype: fspdv1.DataType_DATA_TYPE_INT32, Shape: append([]int64(nil), shape...), Data: b}
}

// Float32s unpacks a float32 tensor's elements, checking the length against the shape.
func Float32s(t *fspdv1.Tensor) ([]float32, error) {
	if t.GetDtype() != fspdv1.DataType_DATA_TYPE_FLOAT32 {
		return nil, fmt.Errorf("fspd: tensor dtype %v, want DATA_TYPE_FLOAT32", t.GetDtype())
	}
	n := int64(1)
	for _, d := range t.GetShape() {
		n *= d
	}
	if int64(len(t.GetData())) != 4*n {
		return nil, fmt.Errorf("fspd: tensor of shape %v has %d bytes, want %d", t.GetShape(), len(t.GetData()), 4*n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Pair is an FSP feature pair of float32 maps in one layout.
func Pair(layout fspdv1.Layout, first, second *fspdv1.Tensor) *fspdv1.FeaturePair {
	return &fspdv1.FeaturePair{First: first, Second: second, Layout: layout}
}
