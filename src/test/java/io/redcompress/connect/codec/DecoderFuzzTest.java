package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.luben.zstd.ZstdCompressCtx;
import io.redcompress.connect.testing.SampleData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bounded, deterministic fuzz of {@link ValueDecoder}: random bytes, random values that get past the
 * marker into the header and codec parsers, mutations of valid values of every codec with and without
 * the checksum, and forged headers declaring huge original lengths over tiny payloads.
 *
 * <p>Properties checked for every input (see {@code docs/value-format.md}):
 * <ul>
 *   <li>the decoder returns bytes or throws one of the five {@link ValueDecodingException} subclasses,
 *       never any other {@link Throwable};</li>
 *   <li>the first byte alone decides "not ours" ({@code 0x00..0xF4}) and "unsupported version"
 *       ({@code 0xF6..0xFF}); a parsable header declaring more than the cap always gives
 *       {@link OriginalLengthLimitExceededException};</li>
 *   <li>a returned value has exactly the declared length, and with the checksum flag its CRC32C is the
 *       one in the header; an unmodified value decodes to exactly its original, and a mutated one whose
 *       header still carries a source's CRC32C decodes to exactly that source's original;</li>
 *   <li>the decoder, capped at 1 MiB, never allocates more than the cap (plus a small slack for
 *       exceptions and messages) on this thread, measured with
 *       {@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()} around every decode.</li>
 * </ul>
 *
 * <p>Every case is generated from its own seed ({@code new SplittableRandom(seed)}): a failure message
 * names the category, the seed, the mutation and the input in hex, and {@link #randomCase(long)},
 * {@link #deepCase(long)} or {@link #mutationCase(int, long, List)} (sample index and seed from the
 * message) regenerate that one input. The run is bounded by case count, not time: about 400 000
 * inputs in 2-4 s.
 */
class DecoderFuzzTest {

    private static final int CAP = 1 << 20;
    /** Exceptions, their messages and stack traces, header records: far below this. */
    private static final long SLACK = 64 * 1024;
    /** Values of codec id 5 name this dictionary; the decoders know it and no other. */
    private static final ZstdDictionary DICTIONARY =
            DictionaryTrainer.train(DictionaryCodecTest.values("heartbeat", 0, 500, 21), 4096);
    private static final ValueDecoder CAPPED = ValueDecoder.builder().maxOriginalLength(CAP)
            .dictionaries(DictionaryResolver.of(DICTIONARY)).build();
    private static final ValueDecoder UNCAPPED = ValueDecoder.builder().maxOriginalLength(Integer.MAX_VALUE)
            .dictionaries(DictionaryResolver.of(DICTIONARY)).build();

    private static final int RANDOM_CASES = 100_000;
    private static final int DEEP_CASES = 100_000;
    private static final int MUTATIONS_PER_SAMPLE = 1_500;
    private static final long RANDOM_SEED = 0x5EED_0000_0000L;
    private static final long DEEP_SEED = 0x5EED_1000_0000L;
    private static final long MUTATION_SEED = 0x5EED_2000_0000L;
    private static final long HUGE_SEED = 0x5EED_3000_0000L;

    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};
    private static final byte[] INTERESTING = {0x00, (byte) 0xFF, 0x7F, (byte) 0x80, (byte) 0xF5, (byte) 0xF6, 0x01, 0x28, 0x1F};

    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private static List<Sample> corpus;

    /** Outcome of one decode. */
    private enum Outcome { DECODED, NOT_OURS, UNSUPPORTED_VERSION, TRUNCATED, CORRUPT, LIMIT, UNKNOWN_DICTIONARY }

    /** A valid value and what it encodes. */
    private record Sample(String name, byte[] original, byte[] encoded, boolean checksum, int crc) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** One generated input and how to regenerate it. */
    private record Case(String category, long seed, String what, byte[] input) {
        String describe() {
            return String.format("%s seed=0x%X [%s] input (%d bytes) %s", category, seed, what, input.length,
                    TestPayloads.hex(input));
        }
    }

    /** One decode: the bytes or the typed error, and what the decoding thread allocated. */
    private record Attempt(byte[] decoded, ValueDecodingException error, long allocated) {
        Outcome outcome() {
            if (error == null) {
                return Outcome.DECODED;
            }
            if (error instanceof NotOurFormatException) {
                return Outcome.NOT_OURS;
            }
            if (error instanceof UnsupportedFormatVersionException) {
                return Outcome.UNSUPPORTED_VERSION;
            }
            if (error instanceof TruncatedValueException) {
                return Outcome.TRUNCATED;
            }
            if (error instanceof CorruptValueException) {
                return Outcome.CORRUPT;
            }
            if (error instanceof OriginalLengthLimitExceededException) {
                return Outcome.LIMIT;
            }
            if (error instanceof UnknownDictionaryException) {
                return Outcome.UNKNOWN_DICTIONARY;
            }
            return null;
        }
    }

    /** Outcome counts plus, per codec, how many inputs got past the header into the payload decoder. */
    private static final class Tally {
        final Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
        final Map<Codec, Integer> reachedPayload = new EnumMap<>(Codec.class);
        int cases;

        @Override
        public String toString() {
            return cases + " cases, outcomes " + outcomes + ", reached the payload decoder " + reachedPayload;
        }
    }

    @BeforeAll
    static void buildCorpusAndWarmUp() {
        List<byte[]> originals = List.of(
                new byte[0],
                new byte[] {42},
                "hi".getBytes(StandardCharsets.UTF_8),
                TestPayloads.heartbeat190(),
                TestPayloads.json1500(),
                TestPayloads.jsonLines(5_000),
                TestPayloads.jsonLines(20_000),
                TestPayloads.random(300, 1),
                TestPayloads.mixed(3_000, 3),
                SampleData.heartbeat("sensor-7", 7, new Random(7)),
                SampleData.logLine(11, new Random(11)),
                "a".repeat(4_000).getBytes(StandardCharsets.US_ASCII),
                new byte[1_000]);
        List<Sample> samples = new ArrayList<>();
        for (Codec codec : Codec.values()) {
            for (boolean checksum : new boolean[] {true, false}) {
                ValueEncoder encoder = ValueEncoder.builder().codec(codec).checksum(checksum).minSizeToCompress(0).build();
                for (byte[] original : originals) {
                    samples.add(sample(codec.configName() + (checksum ? "+crc" : "") + "/" + original.length,
                            original, encoder.encode(original), checksum));
                }
            }
        }
        for (boolean checksum : new boolean[] {true, false}) {
            ValueEncoder zstd = ValueEncoder.builder().codec(Codec.ZSTD).checksum(checksum).minSizeToCompress(0).build();
            for (byte[] original : originals) {
                samples.add(sample("zstd+dictionary" + (checksum ? "+crc" : "") + "/" + original.length,
                        original, zstd.encode(original, DICTIONARY), checksum));
            }
        }
        // written by "other implementations": gzip header fields, zstd frame without content size
        byte[] json = resource("original-json-1532.bin");
        samples.add(sample("foreign-gzip-header-fields", json, resource("foreign-gzip-header-fields.bin"), true));
        samples.add(sample("foreign-zstd-no-content-size", json, resource("foreign-zstd-no-content-size.bin"), true));
        for (Sample s : samples) {
            // unmodified values decode to exactly their original, with and without the checksum
            assertThat(CAPPED.decodeValue(s.encoded())).as("unmodified %s", s).isEqualTo(s.original());
            assertThat(ValueDecoder.header(s.encoded()).checksumPresent()).as("%s checksum flag", s).isEqualTo(s.checksum());
        }
        corpus = List.copyOf(samples);
        // load codec classes and native libraries, and every exception class, before measuring allocation
        for (byte[] warm : new byte[][] {{}, {1}, {(byte) 0xF6}, {(byte) 0xF5, 0x70, 0}, {(byte) 0xF5, 0x00, 0x7F}}) {
            attempt(CAPPED, new Case("warm-up", 0, "", warm));
        }
        attempt(CAPPED, new Case("warm-up", 0, "", header(Codec.NONE, false, CAP + 1, 0)));
    }

    // ---- (a) uniformly random bytes --------------------------------------------------------------

    @Test
    void uniformlyRandomBytes() {
        Tally tally = new Tally();
        for (int i = 0; i < RANDOM_CASES; i++) {
            Case c = randomCase(RANDOM_SEED + i);
            check(c, attempt(CAPPED, c), tally, List.of());
        }
        report("random", tally);
        assertThat(tally.outcomes).containsKeys(Outcome.NOT_OURS, Outcome.UNSUPPORTED_VERSION, Outcome.TRUNCATED,
                Outcome.CORRUPT);
    }

    /** 0..4096 bytes, each uniformly random. */
    static Case randomCase(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] input = new byte[r.nextInt(4097)];
        r.nextBytes(input);
        return new Case("random", seed, "uniform", input);
    }

    // ---- (b) random values behind a valid marker and descriptor ------------------------------------

    @Test
    void randomBytesBehindAValidMarkerAndDescriptor() {
        Tally tally = new Tally();
        for (int i = 0; i < DEEP_CASES; i++) {
            Case c = deepCase(DEEP_SEED + i);
            check(c, attempt(CAPPED, c), tally, List.of());
        }
        report("deep", tally);
        assertThat(tally.outcomes).containsKeys(Outcome.TRUNCATED, Outcome.CORRUPT, Outcome.LIMIT);
        for (Codec codec : Codec.values()) {
            assertThat(tally.reachedPayload.getOrDefault(codec, 0)).as("%s payloads decoded", codec).isGreaterThan(5_000);
        }
    }

    /**
     * {@code F5}, a valid descriptor, then either random bytes, or a well-formed length (small, near
     * the payload size, near or above the cap), a random CRC32C if flagged, and a random payload that
     * often starts like the codec's own format (zstd magic and frame header, gzip member header, a
     * snappy preamble equal to the declared length, a none payload of exactly the declared length).
     */
    static Case deepCase(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Codec codec = Codec.values()[r.nextInt(Codec.values().length)];
        boolean checksum = r.nextBoolean();
        int payloadLength = r.nextInt(4) == 0 ? r.nextInt(4097) : r.nextInt(65);
        byte[] payload = new byte[payloadLength];
        r.nextBytes(payload);
        if (r.nextInt(4) == 0) {
            byte[] input = new byte[2 + payloadLength];
            input[0] = (byte) ValueFormat.MAGIC_V1;
            input[1] = (byte) (codec.id() << 4 | (checksum ? 1 : 0));
            System.arraycopy(payload, 0, input, 2, payloadLength);
            return new Case("deep", seed, codec + " random after descriptor", input);
        }
        int declared;
        switch (r.nextInt(6)) {
            case 0 -> declared = r.nextInt(65);
            case 1 -> declared = r.nextInt(8_193);
            case 2 -> declared = Math.max(0, payloadLength + r.nextInt(-8, 9));
            case 3 -> declared = r.nextInt(CAP + 1);
            case 4 -> declared = CAP - r.nextInt(4);
            default -> declared = CAP + 1 + r.nextInt(Integer.MAX_VALUE - CAP);
        }
        boolean shaped = r.nextBoolean();
        if (shaped) {
            switch (codec) {
                case NONE -> payload = Arrays.copyOf(payload, declared <= 4096 ? declared : payloadLength);
                case SNAPPY -> payload = concat(varint(declared), payload);
                case ZSTD -> {
                    // magic, then a frame header descriptor without reserved bits
                    payload = concat(ZSTD_MAGIC, payload);
                    if (payload.length > 4) {
                        payload[4] &= (byte) 0xF7;
                    }
                }
                case GZIP -> {
                    payload = concat(new byte[] {0x1F, (byte) 0x8B, 8}, payload);
                    if (payload.length > 3) {
                        payload[3] &= (byte) 0x1F;
                    }
                }
                default -> { } // lz4: any byte sequence is a candidate block
            }
        }
        int crc = r.nextInt();
        byte[] input = concat(header(codec, checksum, declared, crc), payload);
        return new Case("deep", seed, codec + (checksum ? "+crc" : "") + " declared " + declared
                + (shaped ? ", shaped payload" : ", random payload"), input);
    }

    // ---- (c) mutations of valid values ----------------------------------------------------------

    @Test
    void mutationsOfValidValuesOfEveryCodec() {
        Tally tally = new Tally();
        int decodedOtherBytesWithoutChecksum = 0;
        for (int s = 0; s < corpus.size(); s++) {
            for (int i = 0; i < MUTATIONS_PER_SAMPLE; i++) {
                long seed = MUTATION_SEED + (long) s * MUTATIONS_PER_SAMPLE + i;
                List<Sample> sources = new ArrayList<>(2);
                Case c = mutationCase(s, seed, sources);
                Attempt a = attempt(CAPPED, c);
                check(c, a, tally, sources);
                if (a.decoded() != null && !Arrays.equals(a.decoded(), corpus.get(s).original())
                        && !ValueDecoder.header(c.input()).checksumPresent()) {
                    decodedOtherBytesWithoutChecksum++;
                }
            }
        }
        report("mutation", tally);
        System.out.println("[fuzz] mutation: decoded to other bytes with the checksum flag off (allowed, "
                + "right length): " + decodedOtherBytesWithoutChecksum);
        assertThat(tally.outcomes).containsKeys(Outcome.DECODED, Outcome.NOT_OURS, Outcome.UNSUPPORTED_VERSION,
                Outcome.TRUNCATED, Outcome.CORRUPT, Outcome.LIMIT);
        for (Codec codec : Codec.values()) {
            assertThat(tally.reachedPayload.getOrDefault(codec, 0)).as("%s payloads decoded", codec).isGreaterThan(5_000);
        }
    }

    /**
     * Sample {@code sampleIndex} with one mutation (70%) or two or three stacked: bit flips, byte
     * replacements, insertions, deletions, truncation, appended bytes or a whole second value, a splice
     * of two valid values, the length varint re-encoded (other values, overlong, too long, overflowing),
     * the descriptor changed, or a length inside the payload rewritten (snappy preamble, gzip ISIZE,
     * zstd frame content size). {@code sources} receives the samples whose bytes the input contains.
     */
    static Case mutationCase(int sampleIndex, long seed, List<Sample> sources) {
        SplittableRandom r = new SplittableRandom(seed);
        Sample sample = corpus.get(sampleIndex);
        sources.add(sample);
        byte[] v = sample.encoded();
        StringBuilder what = new StringBuilder("sample #").append(sampleIndex).append(' ').append(sample.name()).append(':');
        int ops = r.nextInt(10) < 7 ? 1 : 2 + r.nextInt(2);
        for (int k = 0; k < ops; k++) {
            v = mutateOnce(v, sample, r, what, sources);
        }
        return new Case("mutation", seed, what.toString(), v);
    }

    private static byte[] mutateOnce(byte[] v, Sample sample, SplittableRandom r, StringBuilder what, List<Sample> sources) {
        int op = r.nextInt(10);
        if (v.length == 0 && op != 5 && op != 6) {
            op = 2; // only growing makes sense
        }
        switch (op) {
            case 0 -> {
                byte[] m = v.clone();
                for (int n = 1 + r.nextInt(3); n > 0; n--) {
                    int p = position(r, m.length);
                    int bit = r.nextInt(8);
                    m[p] ^= (byte) (1 << bit);
                    what.append(" flip ").append(p).append('.').append(bit);
                }
                return m;
            }
            case 1 -> {
                byte[] m = v.clone();
                for (int n = 1 + r.nextInt(4); n > 0; n--) {
                    int p = position(r, m.length);
                    m[p] = r.nextBoolean() ? INTERESTING[r.nextInt(INTERESTING.length)] : (byte) r.nextInt(256);
                    what.append(" set ").append(p).append('=').append(m[p] & 0xFF);
                }
                return m;
            }
            case 2 -> {
                int p = v.length == 0 ? 0 : position(r, v.length + 1);
                byte[] ins = new byte[1 + r.nextInt(16)];
                if (v.length >= ins.length && r.nextBoolean()) {
                    int from = r.nextInt(v.length - ins.length + 1);
                    System.arraycopy(v, from, ins, 0, ins.length);
                } else {
                    r.nextBytes(ins);
                }
                what.append(" insert ").append(ins.length).append('@').append(p);
                return concat(Arrays.copyOf(v, p), ins, Arrays.copyOfRange(v, p, v.length));
            }
            case 3 -> {
                int p = position(r, v.length);
                int n = 1 + r.nextInt(Math.min(16, v.length - p));
                what.append(" delete ").append(n).append('@').append(p);
                return concat(Arrays.copyOf(v, p), Arrays.copyOfRange(v, p + n, v.length));
            }
            case 4 -> {
                int cut = r.nextInt(3) == 0 ? position(r, v.length) : r.nextInt(v.length);
                what.append(" truncate ").append(cut);
                return Arrays.copyOf(v, cut);
            }
            case 5 -> {
                if (r.nextBoolean()) {
                    byte[] tail = new byte[1 + r.nextInt(16)];
                    r.nextBytes(tail);
                    what.append(" append ").append(tail.length);
                    return concat(v, tail);
                }
                Sample other = corpus.get(r.nextInt(corpus.size()));
                sources.add(other);
                what.append(" append value ").append(other.name());
                return concat(v, other.encoded());
            }
            case 6 -> {
                Sample other = corpus.get(r.nextInt(corpus.size()));
                sources.add(other);
                if (v.length > 0 && r.nextInt(3) == 0) {
                    // header of one value, payload of another
                    int headerA = headerLengthOrZero(v);
                    int headerB = ValueDecoder.header(other.encoded()).headerLength();
                    what.append(" splice header|payload of ").append(other.name());
                    return concat(Arrays.copyOf(v, headerA), Arrays.copyOfRange(other.encoded(), headerB, other.encoded().length));
                }
                int cutA = r.nextInt(v.length + 1);
                int cutB = r.nextInt(other.encoded().length + 1);
                what.append(" splice [0,").append(cutA).append(")+").append(other.name()).append("[").append(cutB).append(",end)");
                return concat(Arrays.copyOf(v, cutA), Arrays.copyOfRange(other.encoded(), cutB, other.encoded().length));
            }
            case 7 -> {
                return rewriteLengthVarint(v, sample, r, what);
            }
            case 8 -> {
                if (v.length < 2) {
                    return v;
                }
                byte[] m = v.clone();
                int d = m[1] & 0xFF;
                int choice = r.nextInt(3);
                d = choice == 0 ? d ^ 0x01 : choice == 1 ? (r.nextInt(16) << 4) | (d & 0x0F) : r.nextInt(256);
                m[1] = (byte) d;
                what.append(String.format(" descriptor=%02X", d));
                return m;
            }
            default -> {
                return rewriteInnerLength(v, r, what);
            }
        }
    }

    /** Replaces the length varint of {@code v} (found by scanning, so it also works on damaged values). */
    private static byte[] rewriteLengthVarint(byte[] v, Sample sample, SplittableRandom r, StringBuilder what) {
        if (v.length < 3) {
            return v;
        }
        int end = 2;
        while (end < v.length && end < 7 && (v[end] & 0x80) != 0) {
            end++;
        }
        end = Math.min(end + 1, v.length);
        int orig = sample.original().length;
        int payload = Math.max(0, v.length - end - (sample.checksum() ? 4 : 0));
        long[] choices = {0, 1, orig - 1L, orig + 1L, orig / 2, orig * 2L, orig + r.nextInt(-32, 33), 127, 128,
            16_383, 16_384, CAP - 1L, CAP, CAP + 1L, 255L * payload + 64, 255L * payload + 65, 1032L * payload + 1024,
            1032L * payload + 1025, Integer.MAX_VALUE, r.nextInt(Integer.MAX_VALUE)};
        long length = Math.max(0, Math.min(Integer.MAX_VALUE, choices[r.nextInt(choices.length)]));
        byte[] encoded;
        switch (r.nextInt(8)) {
            case 0 -> { // overlong: one more byte than needed, ending in 0x00
                byte[] minimal = varint((int) length);
                minimal[minimal.length - 1] |= (byte) 0x80;
                encoded = concat(minimal, new byte[] {0});
                what.append(" overlong-varint ").append(length);
            }
            case 1 -> { // five bytes, continuation bit still set on the fifth
                encoded = new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) (0x80 | r.nextInt(128))};
                what.append(" 5-byte varint with continuation");
            }
            case 2 -> { // 2^31 and above
                encoded = new byte[] {(byte) (0x80 | r.nextInt(128)), (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                    (byte) (0x08 + r.nextInt(8))};
                what.append(" overflowing varint");
            }
            default -> {
                encoded = varint((int) length);
                what.append(" varint=").append(length);
            }
        }
        return concat(Arrays.copyOf(v, 2), encoded, Arrays.copyOfRange(v, end, v.length));
    }

    /** Rewrites a length inside the payload: snappy's preamble, gzip's ISIZE, zstd's frame content size. */
    private static byte[] rewriteInnerLength(byte[] v, SplittableRandom r, StringBuilder what) {
        ValueHeader h;
        try {
            h = ValueDecoder.header(v);
        } catch (ValueDecodingException e) {
            return v;
        }
        int p = h.payloadOffset();
        int n = h.originalLength();
        int delta = r.nextBoolean() ? r.nextInt(-3, 4) : r.nextInt();
        byte[] m = v.clone();
        switch (h.codec()) {
            case SNAPPY -> {
                if (p >= m.length) {
                    return v;
                }
                int end = p;
                while (end < m.length - 1 && (m[end] & 0x80) != 0) {
                    end++;
                }
                int value = Math.max(0, n + delta);
                what.append(" snappy-preamble=").append(value);
                return concat(Arrays.copyOf(m, p), varint(value), Arrays.copyOfRange(m, end + 1, m.length));
            }
            case GZIP -> {
                if (m.length - p < 8) {
                    return v;
                }
                int at = m.length - (r.nextBoolean() ? 4 : 8); // ISIZE or CRC32
                int value = n + delta;
                for (int i = 0; i < 4; i++) {
                    m[at + i] = (byte) (value >>> (8 * i));
                }
                what.append(" gzip-trailer@").append(at).append('=').append(value);
                return m;
            }
            case ZSTD -> {
                if (m.length - p < 6) {
                    return v;
                }
                int fhd = m[p + 4] & 0xFF;
                int fcsFlag = fhd >>> 6;
                boolean singleSegment = (fhd & 0x20) != 0;
                int fcsSize = fcsFlag == 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
                int at = p + 5 + (singleSegment ? 0 : 1) + new int[] {0, 1, 2, 4}[fhd & 3];
                if (fcsSize == 0 || at + fcsSize > m.length) {
                    return v;
                }
                long value = (long) n + delta - (fcsSize == 2 ? 256 : 0);
                for (int i = 0; i < fcsSize; i++) {
                    m[at + i] = (byte) (value >>> (8 * i));
                }
                what.append(" zstd-content-size=").append(value);
                return m;
            }
            default -> {
                return v;
            }
        }
    }

    /** 40% in or just after the header, where a byte matters most; otherwise anywhere. */
    private static int position(SplittableRandom r, int length) {
        return r.nextInt(5) < 2 ? r.nextInt(Math.min(length, 16)) : r.nextInt(length);
    }

    private static int headerLengthOrZero(byte[] v) {
        try {
            return ValueDecoder.header(v).headerLength();
        } catch (ValueDecodingException e) {
            return Math.min(v.length, 2);
        }
    }

    // ---- (d) huge declared lengths over tiny payloads ------------------------------------------

    /**
     * Headers declaring up to 2^31-1 bytes over payloads of at most a few hundred bytes. Capped at
     * 1 MiB, lengths above the cap fail with {@link OriginalLengthLimitExceededException} having
     * allocated nothing of note, and lengths up to the cap never cost more than the cap - including
     * a 38-byte zstd frame of RLE blocks that really does expand to 1 MiB. Uncapped, the same lengths
     * above 1 MiB still allocate no more than deflate's bound (1032x the payload + 1 KiB): lz4 and gzip
     * reject or bound impossible lengths, snappy's preamble and a zstd content size must match, none
     * must hold the bytes. (A zstd frame without a content size is bounded by the cap only, as the
     * format says, so those are not decoded uncapped.)
     */
    @Test
    void hugeDeclaredLengthsOverTinyPayloadsAllocateNothingBeyondTheCap() {
        assumeTrue(THREADS != null && THREADS.isThreadAllocatedMemorySupported(),
                "this JVM cannot measure per-thread allocation");
        List<byte[]> payloads = tinyPayloads();
        int[] overCap = {CAP + 1, 2 * CAP, 1 << 24, 1 << 28, 1 << 30, Integer.MAX_VALUE};
        Tally tally = new Tally();
        long maxOverCap = 0;
        long maxUpToCap = 0;
        long maxUncapped = 0;
        int i = 0;
        for (Codec codec : Codec.values()) {
            for (boolean checksum : new boolean[] {true, false}) {
                for (byte[] payload : payloads) {
                    long seed = HUGE_SEED + i++;
                    SplittableRandom r = new SplittableRandom(seed);
                    int crc = r.nextBoolean() ? r.nextInt() : crc32c(new byte[0]);
                    int[] declaredLengths = {overCap[r.nextInt(overCap.length)], CAP + 1 + r.nextInt(Integer.MAX_VALUE - CAP),
                        CAP, CAP - 1 - r.nextInt(1024), r.nextInt(CAP + 1), 255 * payload.length + 64};
                    for (int declared : declaredLengths) {
                        Case c = new Case("huge", seed, codec + (checksum ? "+crc" : "") + " declared " + declared
                                + " over a " + payload.length + "-byte payload", concat(header(codec, checksum, declared, crc), payload));
                        attempt(CAPPED, c); // warm up this path, then measure
                        Attempt a = attempt(CAPPED, c);
                        check(c, a, tally, List.of());
                        if (declared > CAP) {
                            if (!(a.error() instanceof OriginalLengthLimitExceededException limit)
                                    || limit.declaredLength() != declared || limit.limit() != CAP) {
                                throw new AssertionError("expected the length limit, got " + a.error() + ": " + c.describe());
                            }
                            if (a.allocated() > SLACK) {
                                throw new AssertionError("rejected by the cap but allocated " + a.allocated() + " bytes: " + c.describe());
                            }
                            maxOverCap = Math.max(maxOverCap, a.allocated());
                        } else {
                            maxUpToCap = Math.max(maxUpToCap, a.allocated());
                        }
                        if (declared > CAP && (codec != Codec.ZSTD || ZstdFrames.contentSizePresent(payload))) {
                            attempt(UNCAPPED, c);
                            Attempt u = attempt(UNCAPPED, c);
                            if (u.error() == null && !(u.decoded().length == declared)) {
                                throw new AssertionError("uncapped: wrong length " + u.decoded().length + ": " + c.describe());
                            }
                            long bound = Math.min(declared, 1032L * payload.length + 1024) + SLACK;
                            if (u.allocated() > bound) {
                                throw new AssertionError("uncapped decoder allocated " + u.allocated() + " bytes, more than "
                                        + bound + " for a " + payload.length + "-byte payload: " + c.describe());
                            }
                            maxUncapped = Math.max(maxUncapped, u.allocated() - Math.min(declared, 1032L * payload.length + 1024));
                        }
                    }
                }
            }
        }
        report("huge", tally);
        System.out.printf("[fuzz] huge: max allocated per decode: over the cap %d B, up to the cap %d B (cap %d), "
                + "uncapped beyond the codec bound %d B%n", maxOverCap, maxUpToCap, CAP, maxUncapped);
        assertThat(maxUpToCap).as("the 1 MiB zstd RLE frame was really decoded").isGreaterThanOrEqualTo(CAP);
        assertThat(tally.outcomes).containsKeys(Outcome.LIMIT, Outcome.CORRUPT, Outcome.TRUNCATED, Outcome.DECODED);
    }

    /**
     * Tiny payloads: empty, random, codec magics, real compressed forms of small and of very
     * compressible originals (1 MiB of zeros with gzip is about 1 KiB), and zstd frames of RLE blocks
     * without a content size that expand to exactly 1 MiB and to 1 MiB + 1.
     */
    private static List<byte[]> tinyPayloads() {
        List<byte[]> payloads = new ArrayList<>();
        payloads.add(new byte[0]);
        payloads.add(new byte[] {0});
        payloads.add(TestPayloads.random(7, 70));
        payloads.add(TestPayloads.random(64, 71));
        payloads.add(ZSTD_MAGIC);
        payloads.add(new byte[] {0x1F, (byte) 0x8B, 8, 0, 0, 0, 0, 0, 0, (byte) 0xFF});
        payloads.add(zstdRleFrame(CAP, (byte) 'x'));
        payloads.add(zstdRleFrame(CAP + 1, (byte) 'x'));
        payloads.add(zstdRleFrame(1 << 17, (byte) 0));
        try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            ctx.setContentSize(false);
            payloads.add(ctx.compress(new byte[CAP]));
        }
        for (Codec codec : Codec.values()) {
            ValueEncoder encoder = ValueEncoder.builder().codec(codec).checksum(false).minSizeToCompress(0).build();
            for (byte[] original : new byte[][] {"a".repeat(200).getBytes(StandardCharsets.US_ASCII), new byte[CAP]}) {
                byte[] value = encoder.encode(original);
                payloads.add(Arrays.copyOfRange(value, ValueDecoder.header(value).headerLength(), value.length));
            }
        }
        payloads.removeIf(p -> p.length > 2048); // the none encoding of 1 MiB is not tiny
        return payloads;
    }

    /** A zstd frame (no content size, 128 KiB window) of RLE blocks producing {@code length} bytes. */
    static byte[] zstdRleFrame(int length, byte value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ZSTD_MAGIC);
        out.write(0x00); // frame header descriptor: no content size, not single segment, no checksum, no dictionary
        out.write(7 << 3); // window descriptor: 2^(10+7) = 128 KiB
        int left = length;
        do {
            int block = Math.min(left, 1 << 17);
            left -= block;
            int blockHeader = block << 3 | 1 << 1 | (left == 0 ? 1 : 0); // size, type RLE, last block
            out.write(blockHeader);
            out.write(blockHeader >>> 8);
            out.write(blockHeader >>> 16);
            out.write(value);
        } while (left > 0);
        return out.toByteArray();
    }

    /** zstd frame header inspection for the test's own bookkeeping. */
    private static final class ZstdFrames {
        static boolean contentSizePresent(byte[] payload) {
            if (payload.length < 5 || !Arrays.equals(Arrays.copyOf(payload, 4), ZSTD_MAGIC)) {
                return true; // not a frame at all: rejected before any allocation
            }
            int fhd = payload[4] & 0xFF;
            return (fhd >>> 6) != 0 || (fhd & 0x20) != 0;
        }
    }

    // ---- the properties ---------------------------------------------------------------------------

    /** Decodes {@code c.input()}; anything but bytes or a typed decoding error fails the test. */
    private static Attempt attempt(ValueDecoder decoder, Case c) {
        long before = allocatedBytes();
        try {
            byte[] decoded = decoder.decodeValue(c.input());
            return new Attempt(decoded, null, allocatedBytes() - before);
        } catch (ValueDecodingException e) {
            return new Attempt(null, e, allocatedBytes() - before);
        } catch (Throwable t) {
            throw new AssertionError("decoder threw " + t + ", not a ValueDecodingException: " + c.describe(), t);
        }
    }

    /**
     * The properties every input of the capped decoder must satisfy. {@code sources} are the valid
     * samples the input was made from (empty for generated inputs).
     */
    private static void check(Case c, Attempt a, Tally tally, List<Sample> sources) {
        tally.cases++;
        Outcome outcome = a.outcome();
        if (outcome == null) {
            throw new AssertionError("unknown ValueDecodingException subclass " + a.error() + ": " + c.describe());
        }
        tally.outcomes.merge(outcome, 1, Integer::sum);
        if (a.allocated() > CAP + SLACK) {
            throw new AssertionError("decoder capped at " + CAP + " allocated " + a.allocated() + " bytes ("
                    + outcome + "): " + c.describe());
        }
        byte[] input = c.input();
        Outcome byMarker = input.length == 0 ? Outcome.TRUNCATED
                : (input[0] & 0xFF) < ValueFormat.MAGIC_V1 ? Outcome.NOT_OURS
                : (input[0] & 0xFF) > ValueFormat.MAGIC_V1 ? Outcome.UNSUPPORTED_VERSION : null;
        if (byMarker != null) {
            if (outcome != byMarker) {
                throw new AssertionError("first byte says " + byMarker + " but got " + outcome + " (" + a.error() + "): "
                        + c.describe());
            }
            return;
        }
        if (outcome == Outcome.NOT_OURS || outcome == Outcome.UNSUPPORTED_VERSION) {
            throw new AssertionError(outcome + " for first byte 0xF5: " + c.describe());
        }
        ValueHeader header;
        try {
            header = ValueDecoder.header(input);
        } catch (ValueDecodingException e) {
            if (outcome == Outcome.DECODED) {
                throw new AssertionError("decoded although the header is invalid (" + e + "): " + c.describe());
            }
            return;
        }
        if (header.originalLength() > CAP) {
            if (outcome != Outcome.LIMIT) {
                throw new AssertionError("declared " + header.originalLength() + " > cap " + CAP + " but got " + outcome
                        + " (" + a.error() + "): " + c.describe());
            }
            return;
        }
        if (outcome == Outcome.LIMIT) {
            throw new AssertionError("length limit for declared " + header.originalLength() + " <= cap: " + c.describe());
        }
        tally.reachedPayload.merge(header.codec(), 1, Integer::sum);
        if (outcome != Outcome.DECODED) {
            return;
        }
        byte[] decoded = a.decoded();
        if (decoded.length != header.originalLength()) {
            throw new AssertionError("decoded " + decoded.length + " bytes but the header declares "
                    + header.originalLength() + ": " + c.describe());
        }
        for (Sample source : sources) {
            if (Arrays.equals(input, source.encoded()) && !Arrays.equals(decoded, source.original())) {
                throw new AssertionError("an unmodified value of " + source + " decoded to other bytes: " + c.describe());
            }
        }
        if (!header.checksumPresent()) {
            return;
        }
        int computed = crc32c(decoded);
        if (computed != header.crc32c()) {
            throw new AssertionError(String.format("decoded bytes with CRC32C 0x%08X but the header says 0x%08X: %s",
                    computed, header.crc32c(), c.describe()));
        }
        for (Sample source : sources) {
            if (source.checksum() && source.crc() == header.crc32c() && !Arrays.equals(decoded, source.original())) {
                throw new AssertionError("the header carries the CRC32C of " + source + " but the value decoded to "
                        + "other bytes " + TestPayloads.hex(decoded) + ": " + c.describe());
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static void report(String category, Tally tally) {
        System.out.println("[fuzz] " + category + ": " + tally);
    }

    private static Sample sample(String name, byte[] original, byte[] encoded, boolean checksum) {
        return new Sample(name, original, encoded, checksum, crc32c(original));
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported()) {
            return null;
        }
        if (!threads.isThreadAllocatedMemoryEnabled()) {
            threads.setThreadAllocatedMemoryEnabled(true);
        }
        return threads;
    }

    /** Bytes allocated so far by this thread, or 0 when the JVM cannot tell (allocation is then not checked). */
    private static long allocatedBytes() {
        return THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
    }

    private static byte[] header(Codec codec, boolean checksum, int declared, int crc) {
        byte[] h = new byte[ValueFormat.headerLength(declared, checksum)];
        ValueFormat.writeHeader(h, 0, codec, checksum, declared, crc);
        return h;
    }

    private static byte[] varint(int value) {
        byte[] out = new byte[ValueFormat.varintLength(value)];
        int v = value;
        for (int i = 0; i < out.length - 1; i++) {
            out[i] = (byte) (v & 0x7F | 0x80);
            v >>>= 7;
        }
        out[out.length - 1] = (byte) v;
        return out;
    }

    private static int crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        return (int) crc.getValue();
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int p = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, p, part.length);
            p += part.length;
        }
        return out;
    }

    private static byte[] resource(String name) {
        try (InputStream in = DecoderFuzzTest.class.getResourceAsStream("/value-format-vectors/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
