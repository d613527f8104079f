package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ValueEncoderTest {

    @Test
    void defaults() {
        ValueEncoder encoder = ValueEncoder.defaults();
        assertThat(encoder.codec()).isEqualTo(Codec.LZ4);
        assertThat(encoder.level()).isZero();
        assertThat(encoder.minSizeToCompress()).isEqualTo(64);
        assertThat(encoder.checksum()).isTrue();
        assertThat(encoder.toString()).isEqualTo("ValueEncoder[codec=lz4, minSizeToCompress=64, checksum=true]");
        assertThat(ValueEncoder.builder().codec(Codec.ZSTD).build().level()).isEqualTo(3);
        assertThat(ValueEncoder.builder().codec(Codec.GZIP).build().level()).isEqualTo(6);
    }

    @Test
    void levelIsValidatedAgainstTheCodec() {
        assertThat(ValueEncoder.builder().codec(Codec.ZSTD).level(1).build().level()).isEqualTo(1);
        assertThat(ValueEncoder.builder().codec(Codec.ZSTD).level(22).build().level()).isEqualTo(22);
        assertThat(ValueEncoder.builder().codec(Codec.GZIP).level(1).build().level()).isEqualTo(1);
        assertThat(ValueEncoder.builder().codec(Codec.GZIP).level(9).build().level()).isEqualTo(9);
        assertThatThrownBy(() -> ValueEncoder.builder().codec(Codec.ZSTD).level(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zstd (1..22)");
        assertThatThrownBy(() -> ValueEncoder.builder().codec(Codec.ZSTD).level(23).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ValueEncoder.builder().codec(Codec.GZIP).level(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gzip (1..9)");
        assertThatThrownBy(() -> ValueEncoder.builder().codec(Codec.GZIP).level(10).build())
                .isInstanceOf(IllegalArgumentException.class);
        // ignored by codecs without levels
        assertThat(ValueEncoder.builder().codec(Codec.LZ4).level(99).build().level()).isZero();
        assertThatThrownBy(() -> ValueEncoder.builder().minSizeToCompress(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void headerOverheadIsAtMostEightBytesBelow16KiBWithChecksum(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).build();
        for (int size : new int[] {0, 1, 63, 64, 127, 128, 190, 1000, 4096, 16383}) {
            for (byte[] original : new byte[][] {TestPayloads.random(size, size), TestPayloads.jsonLines(size)}) {
                byte[] encoded = encoder.encode(original);
                ValueHeader header = ValueDecoder.header(encoded);
                assertThat(header.headerLength()).as("header length for %d bytes", size).isLessThanOrEqualTo(8);
                assertThat(header.checksumPresent()).isTrue();
                assertThat(encoded.length - original.length).as("overhead for %d bytes", size)
                        .isLessThanOrEqualTo(8);
            }
        }
        // 16 KiB needs a 3-byte varint: 9 bytes of header
        assertThat(ValueDecoder.header(encoder.encode(TestPayloads.random(16384, 1))).headerLength()).isEqualTo(9);
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void incompressibleValuesAreStoredAsNoneAndGrowByTheHeaderOnly(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).minSizeToCompress(0).build();
        for (int size : new int[] {64, 1000, 100_000}) {
            byte[] original = TestPayloads.random(size, 42);
            EncodedValue encoded = encoder.encodeValue(original);
            assertThat(encoded.codec()).isEqualTo(Codec.NONE);
            assertThat(encoded.compressed()).isFalse();
            assertThat(encoded.encodedLength()).isEqualTo(original.length + ValueFormat.headerLength(size, true));
            assertThat(ValueDecoder.decode(encoded.bytes())).isEqualTo(original);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void valuesBelowTheMinimumSizeAreStoredAsNone(Codec codec) {
        byte[] json = TestPayloads.json1500();
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).minSizeToCompress(json.length + 1).build();
        EncodedValue stored = encoder.encodeValue(json);
        assertThat(stored.codec()).isEqualTo(Codec.NONE);
        assertThat(stored.encodedLength()).isEqualTo(json.length + 8);

        EncodedValue compressed = ValueEncoder.builder().codec(codec).minSizeToCompress(json.length).build()
                .encodeValue(json);
        assertThat(compressed.codec()).isEqualTo(codec);
        assertThat(compressed.encodedLength()).isLessThan(json.length);
    }

    @Test
    void encodedValueReportsWhatWasDone() {
        byte[] json = TestPayloads.json1500();
        EncodedValue result = ValueEncoder.builder().codec(Codec.ZSTD).build().encodeValue(json);
        assertThat(result.codec()).isEqualTo(Codec.ZSTD);
        assertThat(result.compressed()).isTrue();
        assertThat(result.originalLength()).isEqualTo(json.length);
        assertThat(result.encodedLength()).isEqualTo(result.bytes().length).isLessThan(json.length);
        assertThat(result.ratio()).isLessThan(1.0);
        assertThat(result.toString()).contains("codec=zstd", "originalLength=" + json.length);
        assertThat(new EncodedValue(new byte[3], Codec.NONE, 0).ratio()).isEqualTo(1.0);
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void encodesASliceLikeTheCopiedRange(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).build();
        byte[] json = TestPayloads.json1500();
        byte[] framed = new byte[json.length + 30];
        Arrays.fill(framed, (byte) 0x5A);
        System.arraycopy(json, 0, framed, 17, json.length);
        byte[] fromSlice = encoder.encode(framed, 17, json.length);
        if (codec != Codec.GZIP) {
            assertThat(fromSlice).isEqualTo(encoder.encode(json));
        }
        assertThat(ValueDecoder.decode(fromSlice)).isEqualTo(json);
        assertThatThrownBy(() -> encoder.encode(framed, 20, framed.length))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void encodingIsRepeatableAndLeavesTheInputAlone(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).build();
        byte[] json = TestPayloads.json1500();
        byte[] copy = json.clone();
        byte[] first = encoder.encode(json);
        byte[] second = encoder.encode(json);
        assertThat(json).isEqualTo(copy);
        assertThat(second).isEqualTo(first).isNotSameAs(first);
    }

    @Test
    void checksumOffOmitsTheCrc() {
        byte[] json = TestPayloads.json1500();
        byte[] with = ValueEncoder.builder().codec(Codec.NONE).build().encode(json);
        byte[] without = ValueEncoder.builder().codec(Codec.NONE).checksum(false).build().encode(json);
        assertThat(with.length - without.length).isEqualTo(4);
        assertThat(with[1]).isEqualTo((byte) 0x01);
        assertThat(without[1]).isEqualTo((byte) 0x00);
        assertThat(ValueDecoder.header(without).checksumPresent()).isFalse();
        assertThat(ValueDecoder.decode(without)).isEqualTo(json);
    }

    @Test
    void headerLengthArithmetic() {
        assertThat(ValueFormat.varintLength(0)).isEqualTo(1);
        assertThat(ValueFormat.varintLength(127)).isEqualTo(1);
        assertThat(ValueFormat.varintLength(128)).isEqualTo(2);
        assertThat(ValueFormat.varintLength(16383)).isEqualTo(2);
        assertThat(ValueFormat.varintLength(16384)).isEqualTo(3);
        assertThat(ValueFormat.varintLength((1 << 28) - 1)).isEqualTo(4);
        assertThat(ValueFormat.varintLength(1 << 28)).isEqualTo(5);
        assertThat(ValueFormat.varintLength(Integer.MAX_VALUE)).isEqualTo(5);
        assertThat(ValueFormat.headerLength(16383, true)).isEqualTo(8);
        assertThat(ValueFormat.headerLength(Integer.MAX_VALUE, true)).isEqualTo(ValueFormat.MAX_HEADER_LENGTH).isEqualTo(11);
        assertThatThrownBy(() -> ValueFormat.varintLength(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
