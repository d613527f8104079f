package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damaged and foreign input: the decoder must throw a {@link ValueDecodingException} subclass or
 * return exactly the original - never wrong bytes (with the checksum on), never another exception.
 */
class DecoderRobustnessTest {

    private static final ValueDecoder DECODER = ValueDecoder.defaults();

    /** Outcome of one decode attempt. */
    private enum Outcome { DECODED, NOT_OURS, UNSUPPORTED_VERSION, TRUNCATED, CORRUPT, LIMIT, UNKNOWN_DICTIONARY }

    private static Outcome attempt(byte[] value, byte[] expectedOrNull) {
        return attempt(DECODER, value, expectedOrNull);
    }

    private static Outcome attempt(ValueDecoder decoder, byte[] value, byte[] expectedOrNull) {
        byte[] decoded;
        try {
            decoded = decoder.decodeValue(value);
        } catch (NotOurFormatException e) {
            return Outcome.NOT_OURS;
        } catch (UnsupportedFormatVersionException e) {
            return Outcome.UNSUPPORTED_VERSION;
        } catch (TruncatedValueException e) {
            return Outcome.TRUNCATED;
        } catch (CorruptValueException e) {
            return Outcome.CORRUPT;
        } catch (OriginalLengthLimitExceededException e) {
            return Outcome.LIMIT;
        } catch (UnknownDictionaryException e) {
            return Outcome.UNKNOWN_DICTIONARY;
        } catch (RuntimeException | Error e) {
            throw new AssertionError("untyped " + e + " for input " + TestPayloads.hex(
                    Arrays.copyOf(value, Math.min(value.length, 64))), e);
        }
        if (expectedOrNull != null && !Arrays.equals(decoded, expectedOrNull)) {
            fail("decoded to wrong bytes: " + TestPayloads.hex(value));
        }
        return Outcome.DECODED;
    }

    @Test
    void randomBytesNeverDecodeAndOnlyThrowTypedErrors() {
        Random random = new Random(20240611L);
        Map<Outcome, Integer> seen = new EnumMap<>(Outcome.class);
        for (int i = 0; i < 50_000; i++) {
            byte[] value = new byte[random.nextInt(80)];
            random.nextBytes(value);
            if (i % 4 == 0 && value.length > 0) {
                value[0] = (byte) 0xF5; // make a quarter of them get past the marker check
            }
            Outcome outcome = attempt(value, null);
            assertThat(outcome).as("random input %s", TestPayloads.hex(value)).isNotEqualTo(Outcome.DECODED);
            seen.merge(outcome, 1, Integer::sum);
        }
        assertThat(seen).containsKeys(Outcome.NOT_OURS, Outcome.UNSUPPORTED_VERSION, Outcome.TRUNCATED,
                Outcome.CORRUPT, Outcome.LIMIT);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Codec.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void randomPayloadsBehindAValidHeaderOnlyThrowTypedErrors(Codec codec) {
        Random random = new Random(codec.id() * 7919L);
        int decoded = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] payload = new byte[random.nextInt(200)];
            random.nextBytes(payload);
            if (payload.length >= 4 && codec == Codec.ZSTD && random.nextBoolean()) {
                payload[0] = 0x28; // zstd magic, to reach the frame parser
                payload[1] = (byte) 0xB5;
                payload[2] = 0x2F;
                payload[3] = (byte) 0xFD;
            }
            if (payload.length >= 4 && codec == Codec.GZIP && random.nextBoolean()) {
                payload[0] = 0x1F;
                payload[1] = (byte) 0x8B;
                payload[2] = 8;
                payload[3] &= 0x1F;
            }
            int declared = random.nextInt(4000);
            byte[] value = ValueDecoderTest.value(codec, declared, payload);
            if (attempt(value, null) == Outcome.DECODED) {
                decoded++; // possible without a checksum; the length was still enforced by the decoder
            }
        }
        assertThat(decoded).isLessThan(50);
    }

    /**
     * Every proper prefix of a valid value fails with Truncated or Corrupt. Cuts inside the header,
     * inside a none payload, a zstd frame or a gzip member are reported as truncated; cuts inside a
     * raw lz4 or snappy block (no end marker) as corrupt.
     */
    @ParameterizedTest(name = "{0} checksum={1}")
    @MethodSource("io.redcompress.connect.codec.TestPayloads#codecsAndChecksum")
    void everyTruncationFails(Codec codec, boolean checksum) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).checksum(checksum).minSizeToCompress(0).build();
        for (byte[] original : new byte[][] {
            new byte[0], {7}, TestPayloads.heartbeat190(), TestPayloads.json1500(), TestPayloads.jsonLines(20_000)}) {
            EncodedValue encoded = encoder.encodeValue(original);
            byte[] value = encoded.bytes();
            int headerLength = ValueDecoder.header(value).headerLength();
            for (int cut = 0; cut < value.length; cut++) {
                Outcome outcome = attempt(Arrays.copyOf(value, cut), null);
                if (cut < headerLength || encoded.codec() == Codec.NONE
                        || encoded.codec() == Codec.ZSTD || encoded.codec() == Codec.GZIP) {
                    assertThat(outcome).as("%s cut at %d of %d", encoded.codec(), cut, value.length)
                            .isEqualTo(Outcome.TRUNCATED);
                } else {
                    assertThat(outcome).as("%s cut at %d of %d", encoded.codec(), cut, value.length)
                            .isIn(Outcome.CORRUPT, Outcome.TRUNCATED);
                }
            }
        }
    }

    /**
     * Every single-bit flip of a valid value with checksum either fails with a typed error or decodes
     * to exactly the original ({@link #attempt} fails the test on any other bytes). The latter happens
     * when the flipped bit is not significant: gzip's MTIME/XFL/OS/FTEXT, or an LZ4/zstd match offset
     * that now points at an identical copy of the same bytes. The bulk of flips must be detected.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    void everySingleBitFlipIsDetectedOrHarmlessWithTheChecksum(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).minSizeToCompress(0).build();
        for (byte[] original : new byte[][] {TestPayloads.heartbeat190(), Arrays.copyOf(TestPayloads.json1500(), 400)}) {
            byte[] value = encoder.encode(original);
            Map<Outcome, Integer> seen = new TreeMap<>();
            int flips = value.length * 8;
            for (int bit = 0; bit < flips; bit++) {
                byte[] flipped = value.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                seen.merge(attempt(flipped, original), 1, Integer::sum);
            }
            int harmless = seen.getOrDefault(Outcome.DECODED, 0);
            assertThat(harmless).as("%s flips: %s", codec, seen).isLessThan(flips / 20);
            if (codec == Codec.NONE || codec == Codec.SNAPPY) {
                assertThat(harmless).as("%s flips: %s", codec, seen).isLessThanOrEqualTo(codec == Codec.NONE ? 0 : flips / 50);
            }
        }
    }

    /**
     * A value compressed with a dictionary: a flip in the dictionary id names an unknown dictionary, a flip
     * anywhere else is caught like any other zstd value's, and none decodes to wrong bytes.
     */
    @Test
    void everySingleBitFlipOfAValueWithADictionaryIsDetectedOrHarmless() {
        ZstdDictionary dictionary = DictionaryTrainer.train(DictionaryCodecTest.values("heartbeat", 0, 500, 31), 4096);
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(DictionaryResolver.of(dictionary)).build();
        ValueEncoder encoder = ValueEncoder.builder().codec(Codec.ZSTD).build();
        for (boolean checksum : new boolean[] {true, false}) {
            ValueEncoder withOrWithout = checksum ? encoder : ValueEncoder.builder().codec(Codec.ZSTD).checksum(false).build();
            byte[] original = DictionaryCodecTest.values("heartbeat", 900, 1, 32).get(0);
            byte[] value = withOrWithout.encode(original, dictionary);
            assertThat(ValueDecoder.header(value).usesDictionary()).isTrue();
            Map<Outcome, Integer> seen = new TreeMap<>();
            int flips = value.length * 8;
            for (int bit = 0; bit < flips; bit++) {
                byte[] flipped = value.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                Outcome outcome = attempt(decoder, flipped, checksum ? original : null);
                seen.merge(outcome, 1, Integer::sum);
            }
            assertThat(seen).as("checksum %s", checksum).containsKey(Outcome.UNKNOWN_DICTIONARY);
            if (checksum) {
                assertThat(seen.getOrDefault(Outcome.DECODED, 0)).as("%s", seen).isLessThan(flips / 20);
            }
        }
    }

    /** Without the checksum a flip may go unnoticed, but it must never cause an untyped exception. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    void bitFlipsWithoutChecksumOnlyThrowTypedErrors(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).checksum(false).minSizeToCompress(0).build();
        byte[] original = TestPayloads.heartbeat190();
        byte[] value = encoder.encode(original);
        for (int bit = 0; bit < value.length * 8; bit++) {
            byte[] flipped = value.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            attempt(flipped, null);
        }
    }

    /** Random multi-byte damage to larger values, checksum on: typed error or the exact original. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Codec.class)
    void randomDamageIsDetected(Codec codec) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).build();
        byte[] original = TestPayloads.json1500();
        byte[] value = encoder.encode(original);
        Random random = new Random(31L * codec.id() + 1);
        for (int i = 0; i < 3_000; i++) {
            byte[] damaged = value.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
            }
            if (random.nextInt(5) == 0) {
                damaged = Arrays.copyOf(damaged, damaged.length + 1 + random.nextInt(8));
            }
            attempt(damaged, original);
        }
    }
}
