package io.redcompress.connect.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.redcompress.connect.codec.CorruptValueException.Reason;

/**
 * Codec {@code zstd}: exactly one standard zstd frame (magic {@code 28 B5 2F FD}). The encoder
 * compresses each value in one call ({@code ZSTD_compress2}) with a {@link ZstdCompressCtx} set to the
 * level once, which writes the content size into the frame header and no frame checksum; the decoder
 * accepts frames without the content size too. Decoding checks that the payload is one complete frame
 * with nothing after it, that a content size in the frame header (if any) equals the declared
 * original length, and then decompresses into an array of exactly that length - a frame that holds
 * more fails with "destination too small" instead of writing past it.
 *
 * <p>A native context costs roughly 10 microseconds to create and free, which dominates for small
 * values: {@link #compress} (one value) pays it per call, an {@link EncodingSession} once, through
 * {@link #open(int)}. A context is never shared between threads.
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

    /** A native compression context at {@code level}, for one thread; {@code close()} frees it. */
    @Override
    public Compression open(int level) {
        return new ContextCompression(level);
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

    /** One {@link ZstdCompressCtx}, its parameters set once, reused for every value. */
    private static final class ContextCompression implements Compression {

        private final ZstdCompressCtx context = new ZstdCompressCtx();

        ContextCompression(int level) {
            try {
                // the defaults, spelled out because the format relies on them: content size in the frame header, no checksum
                context.setLevel(level).setContentSize(true).setChecksum(false);
            } catch (RuntimeException e) {
                context.close();
                throw e;
            }
        }

        /** @throws ZstdException if zstd fails (it does not for a {@code dst} of {@code compressBound} bytes) */
        @Override
        public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
            return context.compressByteArray(dst, dstOff, dst.length - dstOff, src, srcOff, srcLen);
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
