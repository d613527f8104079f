package io.redcompress.connect.codec;

/**
 * Maps a {@link Codec} to its {@link BlockCompressor}. Each implementation is referenced only from
 * its own case, so a reader that only ever sees gzip values never loads the native lz4, snappy or
 * zstd libraries.
 */
final class BlockCompressors {

    private BlockCompressors() {
    }

    static BlockCompressor of(Codec codec) {
        switch (codec) {
            case NONE:
                return StoredBlockCompressor.INSTANCE;
            case LZ4:
                return Lz4BlockCompressor.INSTANCE;
            case SNAPPY:
                return SnappyBlockCompressor.INSTANCE;
            case ZSTD:
                return ZstdBlockCompressor.INSTANCE;
            case GZIP:
                return GzipBlockCompressor.INSTANCE;
            default:
                throw new IllegalArgumentException("no block compressor for " + codec);
        }
    }
}
