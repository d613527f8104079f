package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CodecTest {

    @Test
    void idsAreTheWireValuesAndRoundTrip() {
        assertThat(Codec.NONE.id()).isZero();
        assertThat(Codec.LZ4.id()).isEqualTo(1);
        assertThat(Codec.SNAPPY.id()).isEqualTo(2);
        assertThat(Codec.ZSTD.id()).isEqualTo(3);
        assertThat(Codec.GZIP.id()).isEqualTo(4);
        for (Codec codec : Codec.values()) {
            assertThat(Codec.fromId(codec.id())).isSameAs(codec);
        }
    }

    @Test
    void unknownIdsAreRejected() {
        for (int id : new int[] {-1, 5, 15, 16, 255}) {
            assertThatThrownBy(() -> Codec.fromId(id))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown codec id " + id);
        }
    }

    @Test
    void fromNameIsCaseInsensitiveAndTrims() {
        assertThat(Codec.fromName("lz4")).isSameAs(Codec.LZ4);
        assertThat(Codec.fromName("LZ4")).isSameAs(Codec.LZ4);
        assertThat(Codec.fromName(" Zstd ")).isSameAs(Codec.ZSTD);
        assertThat(Codec.fromName("gzip")).isSameAs(Codec.GZIP);
        assertThat(Codec.fromName("Snappy")).isSameAs(Codec.SNAPPY);
        assertThat(Codec.fromName("none")).isSameAs(Codec.NONE);
    }

    @Test
    void fromNameListsValidNamesOnError() {
        assertThatThrownBy(() -> Codec.fromName("brotli"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'brotli'")
                .hasMessageContaining("none, lz4, snappy, zstd, gzip");
        assertThatThrownBy(() -> Codec.fromName(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.fromName("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void levelsAreDescribedPerCodec() {
        assertThat(Codec.ZSTD.supportsLevel()).isTrue();
        assertThat(Codec.ZSTD.minLevel()).isEqualTo(1);
        assertThat(Codec.ZSTD.maxLevel()).isEqualTo(22);
        assertThat(Codec.ZSTD.defaultLevel()).isEqualTo(3);
        assertThat(Codec.GZIP.minLevel()).isEqualTo(1);
        assertThat(Codec.GZIP.maxLevel()).isEqualTo(9);
        assertThat(Codec.GZIP.defaultLevel()).isEqualTo(6);
        assertThat(Codec.LZ4.supportsLevel()).isFalse();
        assertThat(Codec.SNAPPY.supportsLevel()).isFalse();
        assertThat(Codec.NONE.supportsLevel()).isFalse();
    }
}
