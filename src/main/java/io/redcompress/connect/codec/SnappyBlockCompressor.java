package io.redcompress.connect.codec;

import io.redcompress.connect.codec.CorruptValueException.Reason;
import java.io.IOException;
import org.xerial.snappy.Snappy;

/**
 * Codec {@code snappy}: the raw Snappy block format (length preamble + elements; not the framed
 * stream format). Before allocating, the block's own length preamble must equal the declared original
 * length and the whole block is validated; only then is it decompressed into an array of exactly that
 * length. snappy-java's calls hold no state, so this is its own {@link Compression}.
 */
final class SnappyBlockCompressor implements BlockCompressor, BlockCompressor.Compression {

    static final SnappyBlockCompressor INSTANCE = new SnappyBlockCompressor();

    private SnappyBlockCompressor() {
    }

    @Override
    public Codec codec() {
        return Codec.SNAPPY;
    }

    @Override
    public String implementation() {
        return "native snappy-java library";
    }

    @Override
    public long maxCompressedLength(int srcLength) {
        // Snappy.maxCompressedLength: 32 + n + n/6, computed in long to avoid int overflow
        return 32L + srcLength + srcLength / 6;
    }

    @Override
    public Compression open(int level) {
        return this;
    }

    @Override
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
        try {
            return Snappy.compress(src, srcOff, srcLen, dst, dstOff);
        } catch (IOException e) {
            throw new IllegalStateException("snappy compression failed: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] decompress(byte[] src, int off, int len, int originalLength) {
        if (len == 0) {
            throw new TruncatedValueException("snappy payload is empty (declared original length "
                    + originalLength + ")");
        }
        int declaredBySnappy;
        boolean valid;
        try {
            declaredBySnappy = Snappy.uncompressedLength(src, off, len);
        } catch (IOException e) {
            throw new CorruptValueException(Reason.CODEC_FAILURE,
                    "snappy payload has an unreadable length preamble: " + e.getMessage(), e);
        }
        if (declaredBySnappy != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but the snappy payload declares " + Integer.toUnsignedString(declaredBySnappy) + " bytes");
        }
        try {
            valid = Snappy.isValidCompressedBuffer(src, off, len);
        } catch (IOException e) {
            throw new CorruptValueException(Reason.CODEC_FAILURE,
                    "snappy payload could not be validated: " + e.getMessage(), e);
        }
        if (!valid) {
            throw new CorruptValueException(Reason.CODEC_FAILURE, "snappy payload of " + len
                    + " bytes is malformed or truncated");
        }
        byte[] out = new byte[originalLength];
        int n;
        try {
            n = Snappy.uncompress(src, off, len, out, 0);
        } catch (IOException e) {
            throw new CorruptValueException(Reason.CODEC_FAILURE, "snappy payload of " + len
                    + " bytes could not be decompressed: " + e.getMessage(), e);
        }
        if (n != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but snappy payload decompressed to " + n + " bytes");
        }
        return out;
    }
}
