package io.redcompress.connect.codec;

import java.util.zip.CRC32C;

/**
 * What {@link ValueEncoder}'s one encoding path gets its state from, and tells what it did: fresh per
 * call for the stateless {@code encode} methods, reused by an {@link EncodingSession}. Nothing it hands
 * out may end up in a returned value.
 */
interface EncodingWorkspace {

    /** A CRC32C in its initial state. */
    CRC32C crc32c();

    /** Whether to try compressing an original of {@code length} bytes at all. */
    boolean shouldAttempt(int length);

    /** An array of at least {@code capacity} bytes to compress into; its contents are garbage. */
    byte[] scratch(int capacity);

    /**
     * Compresses {@code src[srcOff .. srcOff+srcLen)} into {@code dst} from index 0, which has room for
     * the codec's {@link BlockCompressor#maxCompressedLength(int)}.
     *
     * @return as {@link BlockCompressor.Compression#compress}
     */
    int compress(byte[] src, int srcOff, int srcLen, byte[] dst);

    /**
     * Compresses as {@link #compress} with zstd and {@code dictionary}, into a codec-5 payload frame (no
     * magic number, dictionary id, content size or checksum).
     */
    int compressWithDictionary(ZstdDictionary dictionary, byte[] src, int srcOff, int srcLen, byte[] dst);

    /**
     * The outcome of an attempt: the payload's length, or -1 if the compressor gave up early. The value
     * is stored compressed iff {@code 0 <= payloadLength < length}.
     */
    void attempted(int length, int payloadLength);

    /** The outcome of an attempt with a dictionary, as {@link #attempted}; the adaptive skip does not learn from it. */
    void attemptedWithDictionary(int length, int payloadLength);
}
