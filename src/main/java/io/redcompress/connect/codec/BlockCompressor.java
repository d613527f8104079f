package io.redcompress.connect.codec;

/**
 * One codec's payload format. Implementations are stateless singletons: state a compression needs
 * (a native zstd context, a {@code Deflater}) lives in a {@link Compression} that {@link #open(int)}
 * creates for one thread, and {@link #compress} opens and closes one within the call, so one instance
 * serves all threads.
 */
interface BlockCompressor {

    /** The codec whose payload format this implements. */
    Codec codec();

    /** What does the work, for operators: a native library or pure Java. */
    default String implementation() {
        return "pure Java";
    }

    /**
     * Capacity {@link #compress} needs in {@code dst} from {@code dstOff} for an input of
     * {@code srcLength} bytes.
     */
    long maxCompressedLength(int srcLength);

    /**
     * What compresses values at {@code level} (ignored by codecs without levels), for one thread:
     * not thread-safe; {@link Compression#close()} frees what it holds. Codecs without state return a
     * shared stateless instance.
     */
    Compression open(int level);

    /**
     * Compresses {@code src[srcOff .. srcOff+srcLen)} into {@code dst} starting at {@code dstOff}, with
     * state created and released inside the call.
     *
     * @param level the compression level; ignored by codecs without levels
     * @return as {@link Compression#compress}
     */
    default int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int level) {
        try (Compression compression = open(level)) {
            return compression.compress(src, srcOff, srcLen, dst, dstOff);
        }
    }

    /**
     * Decompresses the payload {@code src[off .. off+len)} into a new array of exactly
     * {@code originalLength} bytes. A payload that decodes to any other length, has bytes after its
     * end, or is malformed results in a {@link ValueDecodingException}; implementations must not
     * allocate more than {@code originalLength} bytes of output and should reject declared lengths the
     * payload cannot possibly produce before allocating. Exceptions thrown by codec libraries may
     * escape; the decoder wraps them.
     */
    byte[] decompress(byte[] src, int off, int len, int originalLength);

    /** Compresses values one after the other, at the level it was opened with. */
    interface Compression extends AutoCloseable {

        /**
         * Compresses {@code src[srcOff .. srcOff+srcLen)} into {@code dst} starting at {@code dstOff},
         * which has room for {@link BlockCompressor#maxCompressedLength(int)} bytes.
         *
         * @return the number of bytes written, or {@code -1} if the implementation found out early
         *     that the payload would not be smaller than the input (the caller then stores the value
         *     as is)
         */
        int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff);

        /** Frees native state, if any; idempotent. Stateless compressions do nothing. */
        @Override
        default void close() {
        }
    }
}
