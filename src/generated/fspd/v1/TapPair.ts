// Original file: proto/fspd/v1/types.proto


/**
 * An FSP pair of a model: two indices into its list of taps (Model.taps).
 */
export interface TapPair {
  /**
   * Index of the first map's tap.
   */
  'first'?: (number);
  /**
   * Index of the second map's tap.
   */
  'second'?: (number);
}

/**
 * An FSP pair of a model: two indices into its list of taps (Model.taps).
 */
export interface TapPair__Output {
  /**
   * Index of the first map's tap.
   */
  'first': (number);
  /**
   * Index of the second map's tap.
   */
  'second': (number);
}
