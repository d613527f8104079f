package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class RoundTripTest {

    private static final ValueDecoder DECODER = ValueDecoder.defaults();

    @ParameterizedTest(name = "{0} checksum={1}")
    @MethodSource("io.redcompress.connect.codec.TestPayloads#codecsAndChecksum")
    void samplesRoundTrip(Codec codec, boolean checksum) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).checksum(checksum).build();
        int crcLength = checksum ? 4 : 0;

        check(encoder, new byte[0], Codec.NONE);
        check(encoder, new byte[] {42}, Codec.NONE);
        check(encoder, "short value under the minimum".getBytes(StandardCharsets.UTF_8), Codec.NONE);
        check(encoder, TestPayloads.json1500(), codec);
        check(encoder, TestPayloads.heartbeat190(), null);

        byte[] random = TestPayloads.random(4000, 7);
        EncodedValue stored = check(encoder, random, Codec.NONE);
        assertThat(stored.encodedLength()).isEqualTo(random.length + 2 + 2 + crcLength);

        check(encoder, TestPayloads.mixed(20_000, 3), codec);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    void oneMebibyteValuesRoundTrip(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).build();
        byte[] text = TestPayloads.jsonLines(1 << 20);
        EncodedValue compressed = check(encoder, text, codec);
        if (codec != Codec.NONE) {
            assertThat(compressed.encodedLength()).isLessThan(text.length / 3);
        }
        byte[] random = TestPayloads.random(1 << 20, 11);
        EncodedValue stored = check(encoder, random, Codec.NONE);
        assertThat(stored.encodedLength()).isEqualTo(random.length + 2 + 3 + 4);
    }

    static Stream<Arguments> levelEnds() {
        return Stream.of(
                Arguments.of(Codec.ZSTD, 1), Arguments.of(Codec.ZSTD, 3), Arguments.of(Codec.ZSTD, 22),
                Arguments.of(Codec.GZIP, 1), Arguments.of(Codec.GZIP, 6), Arguments.of(Codec.GZIP, 9));
    }

    @ParameterizedTest(name = "{0} level {1}")
    @MethodSource("levelEnds")
    void levelEndsRoundTrip(Codec codec, int level) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).level(level).build();
        check(encoder, TestPayloads.heartbeat190(), null);
        check(encoder, TestPayloads.json1500(), codec);
        check(encoder, TestPayloads.jsonLines(200_000), codec);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    void everySizeAroundTheMinimumAndVarintBoundaries(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).minSizeToCompress(0).build();
        for (int size : new int[] {0, 1, 2, 17, 18, 19, 20, 63, 64, 65, 127, 128, 129, 16383, 16384, 16385}) {
            check(encoder, TestPayloads.jsonLines(size), null);
            check(encoder, TestPayloads.random(size, size), null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    void decodesFromASlice(Codec codec) {
        byte[] encoded = ValueEncoder.builder().codec(codec).build().encode(TestPayloads.json1500());
        byte[] framed = new byte[encoded.length + 20];
        System.arraycopy(encoded, 0, framed, 9, encoded.length);
        assertThat(DECODER.decodeValue(framed, 9, encoded.length)).isEqualTo(TestPayloads.json1500());
    }

    /** Encodes, checks the header and the codec used (if expected != null), decodes, compares. */
    static EncodedValue check(ValueEncoder encoder, byte[] original, Codec expected) {
        EncodedValue encoded = encoder.encodeValue(original);
        if (expected != null) {
            assertThat(encoded.codec()).as("codec used for %d bytes", original.length).isEqualTo(expected);
        }
        assertThat(encoded.originalLength()).isEqualTo(original.length);
        ValueHeader header = ValueDecoder.header(encoded.bytes());
        assertThat(header.formatVersion()).isEqualTo(1);
        assertThat(header.codec()).isEqualTo(encoded.codec());
        assertThat(header.originalLength()).isEqualTo(original.length);
        assertThat(header.checksumPresent()).isEqualTo(encoder.checksum());
        assertThat(header.payloadOffset() + header.payloadLength()).isEqualTo(encoded.encodedLength());
        if (encoded.codec() != Codec.NONE) {
            assertThat(header.payloadLength()).isLessThan(original.length);
        }
        assertThat(DECODER.decodeValue(encoded.bytes())).isEqualTo(original);
        return encoded;
    }
}
