// Error classes for the image library: words for the user, fields for the expert.

export type ImageFormatReason = 'magic' | 'header' | 'tlv' | 'truncated' | 'size';

/** The bytes are not a well-formed MCUboot image. */
export class ImageFormatError extends Error {
  override name = 'ImageFormatError';
  constructor(
    readonly reason: ImageFormatReason,
    message: string,
    /** Byte offset the problem was found at, when there is one. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** Signing was asked for something imgtool would refuse (bad option, input or size). */
export class SignError extends Error {
  override name = 'SignError';
}

/** A key could not be read, or is of a type/size MCUboot does not support. */
export class KeyError extends Error {
  override name = 'KeyError';
}
