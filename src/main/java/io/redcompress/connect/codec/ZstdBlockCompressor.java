package io.redcompress.connect.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import io.redcompress.connect.codec.CorruptValueException.Reason;

/**
 * Codec {@code zstd}: exactly one standard zstd frame (magic {@code 28 B5 2F FD}). The encoder uses
 * the one-shot {@code Zstd.compressByteArray}, which writes the content size into the frame header;
 * the decoder accepts frames without it too. Decoding checks that the payload is one complete frame
 * with nothing after it, that a content size in the frame header (if any) equals the declared
 * original length, and then decompresses into an array of exactly that length - a frame that holds
 * more fails with "destination too small" instead of writing past it.
 *
 * <p>zstd-jni's one-shot calls create and free their native context per call. That is deliberate (no
 * context is ever shared between calls or threads) and costs roughly 10 microseconds per value, which
 * dominates for small values; see {@code CodecBenchmark} before considering pooled contexts.
 */
final class ZstdBlockCompressor implements BlockCompressor {

    static final ZstdBlockCompressor INSTANCE = new ZstdBlockCompressor();

    private static final byte[] MAGIC_BYTES = {(byte) 0x28, (byte) 0xB5, (byte) 0x2F, (byte) 0xFD};

    private ZstdBlockCompressor() {
    }

    @Override
    public Codec codec() {
        return Codec.ZSTD;
    }

    @Override
    public String implementation() {
        return "native zstd-jni library";
    }

    @Override
    public long maxCompressedLength(int srcLength) {
        return Zstd.compressBound(srcLength);
    }

    @Override
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int level) {
        long n = Zstd.compressByteArray(dst, dstOff, dst.length - dstOff, src, srcOff, srcLen, level);
        if (Zstd.isError(n)) {
            throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
        }
        return (int) n;
    }

    @Override
    public byte[] decompress(byte[] src, int off, int len, int originalLength) {
        checkMagic(src, off, len);
        long frameSize;
        try {
            frameSize = Zstd.findFrameCompressedSize(src, off, len);
        } catch (ZstdException e) {
            throw classify(e, "zstd frame of " + len + " bytes is unreadable", originalLength);
        }
        if (frameSize < len) {
            throw new CorruptValueException(Reason.TRAILING_BYTES, (len - frameSize)
                    + " bytes follow the zstd frame (frame is " + frameSize + " of " + len
                    + " payload bytes; only one frame is allowed)");
        }
        long contentSize = Zstd.getFrameContentSize(src, off, len);
        if (contentSize >= 0 && contentSize != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but the zstd frame header declares " + contentSize + " bytes");
        }
        byte[] out = new byte[originalLength];
        long n;
        try {
            n = Zstd.decompressByteArray(out, 0, originalLength, src, off, len);
        } catch (ZstdException e) {
            throw classify(e, "zstd frame of " + len + " bytes could not be decompressed", originalLength);
        }
        if (Zstd.isError(n)) {
            throw new CorruptValueException(Reason.CODEC_FAILURE, "zstd frame of " + len
                    + " bytes could not be decompressed: " + Zstd.getErrorName(n));
        }
        if (n != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but zstd payload decompressed to " + n + " bytes");
        }
        return out;
    }

    private static void checkMagic(byte[] src, int off, int len) {
        int present = Math.min(len, MAGIC_BYTES.length);
        for (int i = 0; i < present; i++) {
            if (src[off + i] != MAGIC_BYTES[i]) {
                throw new CorruptValueException(Reason.CODEC_FAILURE,
                        "zstd payload does not start with the zstd frame magic number 28 B5 2F FD");
            }
        }
        if (len < MAGIC_BYTES.length) {
            throw new TruncatedValueException("zstd payload ends after " + len + " byte(s), inside the frame magic");
        }
    }

    private static ValueDecodingException classify(ZstdException e, String what, int originalLength) {
        long code = e.getErrorCode();
        if (code == Zstd.errSrcSizeWrong()) {
            return new TruncatedValueException(what + ": the frame ends early (" + e.getMessage() + ")", e);
        }
        if (code == Zstd.errDstSizeTooSmall()) {
            return new CorruptValueException(Reason.LENGTH_MISMATCH,
                    what + ": it decompresses to more than the declared original length " + originalLength, e);
        }
        return new CorruptValueException(Reason.CODEC_FAILURE, what + ": " + e.getMessage(), e);
    }
}
