package io.redcompress.connect.codec;

/**
 * One codec's payload format. Implementations are stateless singletons: everything a call needs
 * (output arrays, {@code Deflater}/{@code Inflater}, native contexts) is created inside the call and
 * released before it returns, so one instance serves all threads.
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
     * Compresses {@code src[srcOff .. srcOff+srcLen)} into {@code dst} starting at {@code dstOff}.
     *
     * @param level the compression level; ignored by codecs without levels
     * @return the number of bytes written, or {@code -1} if the implementation found out early that
     *     the payload would not be smaller than the input (the caller then stores the value as is)
     */
    int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int level);

    /**
     * Decompresses the payload {@code src[off .. off+len)} into a new array of exactly
     * {@code originalLength} bytes. A payload that decodes to any other length, has bytes after its
     * end, or is malformed results in a {@link ValueDecodingException}; implementations must not
     * allocate more than {@code originalLength} bytes of output and should reject declared lengths the
     * payload cannot possibly produce before allocating. Exceptions thrown by codec libraries may
     * escape; the decoder wraps them.
     */
    byte[] decompress(byte[] src, int off, int len, int originalLength);
}
