package io.redcompress.connect.codec;

import io.redcompress.connect.codec.CorruptValueException.Reason;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Codec {@code lz4}: one raw LZ4 block ({@code LZ4_compress_default} format, no frame, no size
 * prefix). The block is decompressed with the bounds-checked "safe" decompressor into an array of the
 * declared length. lz4-java compressor and decompressor instances are thread-safe and hold no state
 * between calls, so this is its own {@link Compression}. The native (JNI) implementation is used wherever it loads, whatever the class loader; both write the
 * same block format.
 */
final class Lz4BlockCompressor implements BlockCompressor, BlockCompressor.Compression {

    static final Lz4BlockCompressor INSTANCE = new Lz4BlockCompressor();

    /** An LZ4 block expands at most 255:1 (every extra match-length byte adds at most 255 bytes). */
    private static final long MAX_EXPANSION = 255;

    private final LZ4Compressor compressor;
    private final LZ4SafeDecompressor decompressor;
    private final String implementation;

    private Lz4BlockCompressor() {
        LZ4Factory factory;
        String implementation;
        try {
            // not fastestInstance(): it tries the native library only when lz4-java was loaded by the system class
            // loader, so in a Connect worker, where the plugin has a class loader of its own, every value was
            // compressed by the pure-Java "safe" compressor (59% of the task thread in a profile of the worker)
            factory = LZ4Factory.nativeInstance();
            implementation = "native JNI library";
        } catch (LinkageError | RuntimeException e) {
            factory = LZ4Factory.fastestJavaInstance();
            implementation = "pure Java: the native library did not load, " + e;
        }
        this.compressor = factory.fastCompressor();
        this.decompressor = factory.safeDecompressor();
        this.implementation = implementation;
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public Codec codec() {
        return Codec.LZ4;
    }

    @Override
    public long maxCompressedLength(int srcLength) {
        return compressor.maxCompressedLength(srcLength);
    }

    @Override
    public Compression open(int level) {
        return this;
    }

    @Override
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
        return compressor.compress(src, srcOff, srcLen, dst, dstOff, dst.length - dstOff);
    }

    @Override
    public byte[] decompress(byte[] src, int off, int len, int originalLength) {
        if (originalLength > MAX_EXPANSION * len + 64) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " is impossible for a " + len + "-byte lz4 payload (lz4 expands at most 255:1)");
        }
        byte[] out = new byte[originalLength];
        int n;
        try {
            n = decompressor.decompress(src, off, len, out, 0, originalLength);
        } catch (LZ4Exception e) {
            throw new CorruptValueException(Reason.CODEC_FAILURE, "lz4 payload of " + len
                    + " bytes is malformed, truncated, or decompresses to more than the declared "
                    + originalLength + " bytes: " + e.getMessage(), e);
        }
        if (n != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but lz4 payload decompressed to " + n + " bytes");
        }
        return out;
    }
}
