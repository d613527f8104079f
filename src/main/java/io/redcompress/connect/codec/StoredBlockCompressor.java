package io.redcompress.connect.codec;

import io.redcompress.connect.codec.CorruptValueException.Reason;
import java.util.Arrays;

/** Codec {@code none}: the payload is the original bytes. Stateless: it is its own {@link Compression}. */
final class StoredBlockCompressor implements BlockCompressor, BlockCompressor.Compression {

    static final StoredBlockCompressor INSTANCE = new StoredBlockCompressor();

    private StoredBlockCompressor() {
    }

    @Override
    public Codec codec() {
        return Codec.NONE;
    }

    @Override
    public String implementation() {
        return "no compression";
    }

    @Override
    public long maxCompressedLength(int srcLength) {
        return srcLength;
    }

    @Override
    public Compression open(int level) {
        return this;
    }

    @Override
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
        System.arraycopy(src, srcOff, dst, dstOff, srcLen);
        return srcLen;
    }

    @Override
    public byte[] decompress(byte[] src, int off, int len, int originalLength) {
        if (len < originalLength) {
            throw new TruncatedValueException("declared original length " + originalLength
                    + " but the uncompressed (none) payload has only " + len + " bytes");
        }
        if (len > originalLength) {
            throw new CorruptValueException(Reason.TRAILING_BYTES, "declared original length " + originalLength
                    + " but the uncompressed (none) payload has " + len + " bytes ("
                    + (len - originalLength) + " trailing)");
        }
        return Arrays.copyOfRange(src, off, off + len);
    }
}
