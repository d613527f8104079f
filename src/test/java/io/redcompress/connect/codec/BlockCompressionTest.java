package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@link BlockCompressor.Compression} kept for many values writes what a fresh one writes for each
 * value alone; the reused zstd context writes what zstd-jni's one-shot call wrote before sessions
 * existed (one frame with the content size, no checksum), so values keep their format byte for byte.
 */
class BlockCompressionTest {

    private static final int[] SIZES = {0, 1, 19, 64, 190, 1000, 4096, 70_000, 300_000};

    private static byte[][] values() {
        byte[][] values = new byte[SIZES.length * 3 + 2][];
        int i = 0;
        for (int size : SIZES) {
            values[i++] = TestPayloads.jsonLines(size);
            values[i++] = TestPayloads.random(size, size); // gzip and lz4 give up on these half way
            values[i++] = TestPayloads.mixed(size, size);
        }
        values[i++] = TestPayloads.heartbeat190();
        values[i] = TestPayloads.json1500();
        return values;
    }

    private static byte[] compress(BlockCompressor.Compression compression, BlockCompressor compressor, byte[] value) {
        byte[] out = new byte[(int) compressor.maxCompressedLength(value.length) + 3];
        int n = compression.compress(value, 0, value.length, out, 3);
        return n < 0 ? null : Arrays.copyOfRange(out, 3, 3 + n);
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void aCompressionKeptForManyValuesWritesWhatAFreshOneWritesForEach(Codec codec) {
        BlockCompressor compressor = BlockCompressors.of(codec);
        int level = codec.defaultLevel();
        try (BlockCompressor.Compression kept = compressor.open(level)) {
            for (int round = 0; round < 2; round++) {
                for (byte[] value : values()) {
                    byte[] fresh;
                    try (BlockCompressor.Compression once = compressor.open(level)) {
                        fresh = compress(once, compressor, value);
                    }
                    assertThat(compress(kept, compressor, value)).as("%s, %d bytes", codec, value.length).isEqualTo(fresh);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 9, 19})
    void zstdContextWritesWhatTheOneShotCallWrote(int level) {
        BlockCompressor zstd = BlockCompressors.of(Codec.ZSTD);
        try (BlockCompressor.Compression context = zstd.open(level)) {
            for (byte[] value : values()) {
                byte[] frame = compress(context, zstd, value);
                assertThat(frame).as("%d bytes at level %d", value.length, level).isEqualTo(Zstd.compress(value, level));
                assertThat(Zstd.getFrameContentSize(frame)).isEqualTo(value.length);
            }
        }
    }

    @Test
    void closingFreesTheNativeStateAndLaterUseFailsLoudly() {
        byte[] value = TestPayloads.json1500();
        for (Codec codec : new Codec[] {Codec.ZSTD, Codec.GZIP}) {
            BlockCompressor compressor = BlockCompressors.of(codec);
            BlockCompressor.Compression compression = compressor.open(codec.defaultLevel());
            assertThat(compress(compression, compressor, value)).isNotNull();
            compression.close();
            compression.close(); // idempotent
            assertThatThrownBy(() -> compress(compression, compressor, value)).as(codec.configName())
                    .isInstanceOfAny(IllegalStateException.class, NullPointerException.class);
        }
    }

    @Test
    void gzipKeepsItsHeaderAndLevelMarks() {
        BlockCompressor gzip = BlockCompressors.of(Codec.GZIP);
        byte[] value = TestPayloads.json1500();
        for (int level : new int[] {Deflater.BEST_SPEED, 6, Deflater.BEST_COMPRESSION}) {
            try (BlockCompressor.Compression compression = gzip.open(level)) {
                byte[] member = compress(compression, gzip, value);
                assertThat(Arrays.copyOf(member, 10)).containsExactly(0x1F, 0x8B, 8, 0, 0, 0, 0, 0,
                        level == 9 ? 2 : level == 1 ? 4 : 0, 0xFF);
            }
        }
    }
}
