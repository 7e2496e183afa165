// Original file: proto/fspd/v1/types.proto

/**
 * Element type of Tensor.data. Values are little-endian.
 */
export const DataType = {
  /**
   * Not set; rejected with INVALID_ARGUMENT.
   */
  DATA_TYPE_UNSPECIFIED: 'DATA_TYPE_UNSPECIFIED',
  /**
   * IEEE 754 binary32, 4 bytes per element.
   */
  DATA_TYPE_FLOAT32: 'DATA_TYPE_FLOAT32',
  /**
   * IEEE 754 binary16, 2 bytes per element; widened to float32 by the server.
   */
  DATA_TYPE_FLOAT16: 'DATA_TYPE_FLOAT16',
  /**
   * bfloat16 (the upper half of a float32), 2 bytes per element; widened to float32 by the server.
   */
  DATA_TYPE_BFLOAT16: 'DATA_TYPE_BFLOAT16',
  /**
   * Unsigned byte, 1 byte per element; taken as its value 0..255 (no scaling).
   */
  DATA_TYPE_UINT8: 'DATA_TYPE_UINT8',
  /**
   * Signed 32-bit integer, 4 bytes per element; for class labels, not feature maps.
   */
  DATA_TYPE_INT32: 'DATA_TYPE_INT32',
} as const;

/**
 * Element type of Tensor.data. Values are little-endian.
 */
export type DataType =
  /**
   * Not set; rejected with INVALID_ARGUMENT.
   */
  | 'DATA_TYPE_UNSPECIFIED'
  | 0
  /**
   * IEEE 754 binary32, 4 bytes per element.
   */
  | 'DATA_TYPE_FLOAT32'
  | 1
  /**
   * IEEE 754 binary16, 2 bytes per element; widened to float32 by the server.
   */
  | 'DATA_TYPE_FLOAT16'
  | 2
  /**
   * bfloat16 (the upper half of a float32), 2 bytes per element; widened to float32 by the server.
   */
  | 'DATA_TYPE_BFLOAT16'
  | 3
  /**
   * Unsigned byte, 1 byte per element; taken as its value 0..255 (no scaling).
   */
  | 'DATA_TYPE_UINT8'
  | 4
  /**
   * Signed 32-bit integer, 4 bytes per element; for class labels, not feature maps.
   */
  | 'DATA_TYPE_INT32'
  | 5

/**
 * Element type of Tensor.data. Values are little-endian.
 */
export type DataType__Output = typeof DataType[keyof typeof DataType]
