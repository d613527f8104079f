package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.testing.SampleData;

/** Codec id 5: zstd with a trained dictionary, from training to decoding and every way it can go wrong. */
class DictionaryCodecTest {

    private static final ValueEncoder ZSTD = ValueEncoder.builder().codec(Codec.ZSTD).build();
    private static List<byte[]> trainingSamples;
    private static ZstdDictionary heartbeats;
    private static ZstdDictionary logs;

    @BeforeAll
    static void train() {
        trainingSamples = values("heartbeat", 0, 1_000, 1);
        heartbeats = DictionaryTrainer.train(trainingSamples, 4096);
        logs = DictionaryTrainer.train(values("log", 0, 500, 1), 16384);
    }

    @AfterAll
    static void release() {
        trainingSamples = null;
    }

    static List<byte[]> values(String kind, long first, int count, long seed) {
        Random random = new Random(seed);
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(SampleData.ofKind(kind, first + i, random));
        }
        return values;
    }

    private static ValueDecoder decoderKnowing(ZstdDictionary... dictionaries) {
        return ValueDecoder.builder().dictionaries(DictionaryResolver.of(dictionaries)).build();
    }

    @Test
    void trainingTheSameSamplesGivesTheSameDictionaryAndId() {
        ZstdDictionary again = DictionaryTrainer.train(trainingSamples, 4096);
        assertThat(again.bytes()).isEqualTo(heartbeats.bytes());
        assertThat(again.id()).isEqualTo(heartbeats.id());
        assertThat(heartbeats.hasDerivedId()).isTrue();
        assertThat(heartbeats.id()).isBetween(DictionaryIds.MIN_ID, DictionaryIds.MAX_ID);
        assertThat(DictionaryIds.derive(heartbeats.bytes())).isEqualTo(heartbeats.id());
        assertThat(logs.id()).isNotEqualTo(heartbeats.id());
    }

    /** Ids computed from the spec by a separate implementation (Python's hashlib), for the golden vectors' dictionaries. */
    @Test
    void derivedIdsMatchTheSpecComputedElsewhere() throws Exception {
        byte[] golden = readVector("dictionaries/dict-676531.bin");
        assertThat(DictionaryIds.derive(golden)).isEqualTo(676_531L);
        assertThat(DictionaryIds.embedded(golden)).isEqualTo(676_531L);
        assertThat(DictionaryIds.hasDerivedId(golden)).isTrue();
        byte[] impostor = readVector("dictionaries/impostor-676531.bin");
        assertThat(DictionaryIds.derive(impostor)).isEqualTo(2_033_895L);
        assertThat(DictionaryIds.embedded(impostor)).isEqualTo(676_531L);
        assertThat(DictionaryIds.hasDerivedId(impostor)).isFalse();
        byte[] repaired = DictionaryIds.withDerivedId(impostor);
        assertThat(DictionaryIds.embedded(repaired)).isEqualTo(2_033_895L);
        assertThat(Arrays.copyOfRange(repaired, 8, repaired.length)).isEqualTo(Arrays.copyOfRange(impostor, 8, impostor.length));
        assertThat(DictionaryIds.isFullDictionary(Arrays.copyOf(golden, 8))).as("magic and id, no content").isFalse();
        assertThat(DictionaryIds.isFullDictionary(Arrays.copyOf(golden, 9))).isTrue();
        byte[] noMagic = golden.clone();
        noMagic[3] = 0;
        assertThat(DictionaryIds.isFullDictionary(noMagic)).isFalse();
        assertThatThrownBy(() -> ZstdDictionary.of(noMagic)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("37 A4 30 EC");
        assertThat(ZstdDictionary.of(golden).size()).isEqualTo(golden.length);
    }

    private static byte[] readVector(String name) throws java.io.IOException {
        try (java.io.InputStream in = DictionaryCodecTest.class.getResourceAsStream("/value-format-vectors/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theIdIgnoresTheBytesItIsWrittenIn() {
        byte[] bytes = heartbeats.bytes();
        bytes[4] = 1;
        bytes[7] = 9;
        assertThat(DictionaryIds.derive(bytes)).isEqualTo(heartbeats.id());
        assertThat(DictionaryIds.hasDerivedId(bytes)).isFalse();
        bytes[100] ^= 1;
        assertThat(DictionaryIds.derive(bytes)).isNotEqualTo(heartbeats.id());
    }

    @Test
    void valuesWithADictionaryRoundTripAndAreSmall() {
        ValueDecoder decoder = decoderKnowing(heartbeats, logs);
        long stored = 0;
        long original = 0;
        try (EncodingSession session = ZSTD.session()) {
            for (byte[] value : values("heartbeat", 100_000, 2_000, 2)) {
                byte[] encoded = session.encode(value, heartbeats);
                ValueHeader header = ValueDecoder.header(encoded);
                assertThat(header.dictionaryId()).isEqualTo(heartbeats.id());
                assertThat(header.codecId()).isEqualTo(5);
                assertThat(decoder.decodeValue(encoded)).isEqualTo(value);
                stored += encoded.length;
                original += value.length;
            }
            assertThat(session.stats().withDictionary()).isEqualTo(2_000);
        }
        assertThat((double) stored / original).isLessThan(0.35);
    }

    @Test
    void theFrameCarriesNothingTheHeaderSays() {
        byte[] value = values("heartbeat", 7, 1, 3).get(0);
        byte[] encoded = ZSTD.encode(value, heartbeats);
        ValueHeader header = ValueDecoder.header(encoded);
        assertThat(header.headerLength()).isEqualTo(ValueFormat.headerLength(value.length, true) + 3);
        byte[] framed = new byte[4 + header.payloadLength()];
        framed[0] = 0x28;
        framed[1] = (byte) 0xB5;
        framed[2] = 0x2F;
        framed[3] = (byte) 0xFD;
        System.arraycopy(encoded, header.payloadOffset(), framed, 4, header.payloadLength());
        assertThat(com.github.luben.zstd.Zstd.getDictIdFromFrame(framed)).isZero();
        assertThat(com.github.luben.zstd.Zstd.getFrameContentSize(framed, 0, framed.length)).isNegative();
    }

    @Test
    void aValueNamingADictionaryTheDecoderDoesNotHaveFailsTyped() {
        byte[] encoded = ZSTD.encode(values("heartbeat", 1, 1, 3).get(0), heartbeats);
        assertThatThrownBy(() -> ValueDecoder.decode(encoded))
                .isInstanceOf(UnknownDictionaryException.class)
                .hasMessageContaining(Long.toString(heartbeats.id()))
                .satisfies(e -> assertThat(((UnknownDictionaryException) e).dictionaryId()).isEqualTo(heartbeats.id()));
        assertThatThrownBy(() -> decoderKnowing(logs).decodeValue(encoded)).isInstanceOf(UnknownDictionaryException.class);
    }

    @Test
    void aResolverThatAnswersWithAnotherDictionaryIsCaught() {
        byte[] encoded = ZSTD.encode(values("heartbeat", 1, 1, 3).get(0), heartbeats);
        ValueDecoder lying = ValueDecoder.builder().dictionaries(id -> logs.bytes()).build();
        assertThatThrownBy(() -> lying.decodeValue(encoded))
                .isInstanceOf(UnknownDictionaryException.class)
                .hasMessageContaining("returned dictionary " + logs.id());
    }

    @Test
    void aDifferentDictionaryCarryingTheSameIdNeverGivesWrongBytes() {
        byte[] impostor = logs.bytes();
        long id = heartbeats.id();
        impostor[4] = (byte) id;
        impostor[5] = (byte) (id >>> 8);
        impostor[6] = (byte) (id >>> 16);
        impostor[7] = (byte) (id >>> 24);
        ValueDecoder fooled = ValueDecoder.builder().dictionaries(x -> impostor).build();
        for (byte[] value : values("heartbeat", 50, 20, 4)) {
            byte[] encoded = ZSTD.encode(value, heartbeats);
            assertThatThrownBy(() -> fooled.decodeValue(encoded)).isInstanceOf(CorruptValueException.class);
        }
    }

    @Test
    void damageToTheFrameIsReportedNotDecoded() {
        ValueDecoder decoder = decoderKnowing(heartbeats);
        byte[] encoded = ZSTD.encode(values("heartbeat", 1, 1, 3).get(0), heartbeats);
        // an empty magicless frame (header byte + empty last raw block) appended: zstd alone would accept it
        byte[] appended = Arrays.copyOf(encoded, encoded.length + 4);
        appended[encoded.length] = 0x00;
        appended[encoded.length + 1] = 0x01;
        appended[encoded.length + 2] = 0x00;
        appended[encoded.length + 3] = 0x00;
        assertThatThrownBy(() -> decoder.decodeValue(appended)).isInstanceOf(ValueDecodingException.class)
                .isNotInstanceOf(UnknownDictionaryException.class);
        byte[] oneMore = Arrays.copyOf(encoded, encoded.length + 1);
        assertThatThrownBy(() -> decoder.decodeValue(oneMore)).isInstanceOf(CorruptValueException.class);
        for (int cut = 1; cut < encoded.length; cut++) {
            byte[] shorter = Arrays.copyOf(encoded, cut);
            assertThatThrownBy(() -> decoder.decodeValue(shorter)).as("cut at %d", cut)
                    .isInstanceOf(ValueDecodingException.class);
        }
    }

    @Test
    void dictionaryIdZeroAndOverlongIdsAreBadHeaders() {
        byte[] encoded = ZSTD.encode(values("heartbeat", 1, 1, 3).get(0), heartbeats);
        int idOffset = ValueFormat.headerLength(ValueDecoder.header(encoded).originalLength(), true);
        byte[] zero = encoded.clone();
        zero[idOffset] = 0;
        assertThatThrownBy(() -> ValueDecoder.header(zero)).isInstanceOf(CorruptValueException.class)
                .hasMessageContaining("dictionary id 0");
        byte[] cutInId = Arrays.copyOf(encoded, idOffset + 1);
        assertThatThrownBy(() -> ValueDecoder.header(cutInId)).isInstanceOf(TruncatedValueException.class)
                .hasMessageContaining("dictionary-id varint");
    }

    @Test
    void aDictionaryOnlyGoesWithZstd() {
        ValueEncoder lz4 = ValueEncoder.builder().codec(Codec.LZ4).build();
        assertThatThrownBy(() -> lz4.encode(new byte[100], heartbeats)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lz4");
    }

    @Test
    void aValueThatDoesNotShrinkIsStoredAsIs() {
        byte[] random = new byte[300];
        new Random(5).nextBytes(random);
        byte[] encoded = ZSTD.encode(random, heartbeats);
        assertThat(ValueDecoder.header(encoded).codec()).isEqualTo(Codec.NONE);
        assertThat(ValueDecoder.decode(encoded)).isEqualTo(random);
    }

    @Test
    void encodingOneValueAfterAnotherGivesTheSameBytesAsEncodingItAlone() {
        List<byte[]> a = values("log", 9_000, 50, 6);
        List<byte[]> b = values("heartbeat", 9_000, 50, 7);
        try (EncodingSession warm = ZSTD.session(); EncodingSession fresh = ZSTD.session()) {
            for (byte[] value : a) {
                warm.encode(value, logs);
                warm.encode(value, heartbeats);
            }
            for (byte[] value : b) {
                byte[] afterOthers = warm.encode(value, heartbeats);
                assertThat(afterOthers).isEqualTo(ZSTD.encode(value, heartbeats));
                assertThat(fresh.encode(value, heartbeats)).isEqualTo(afterOthers);
            }
        }
    }

    @Test
    void oneDecoderServesManyThreadsWithTheirOwnContexts() throws Exception {
        ValueDecoder decoder = decoderKnowing(heartbeats, logs);
        List<byte[]> hb = values("heartbeat", 0, 300, 8);
        List<byte[]> lg = values("log", 0, 100, 8);
        List<byte[]> encodedHb = hb.stream().map(v -> ZSTD.encode(v, heartbeats)).toList();
        List<byte[]> encodedLg = lg.stream().map(v -> ZSTD.encode(v, logs)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < encodedHb.size(); i++) {
                            if (!Arrays.equals(decoder.decodeValue(encodedHb.get(i)), hb.get(i))) {
                                return false;
                            }
                            int j = i % encodedLg.size();
                            if (!Arrays.equals(decoder.decodeValue(encodedLg.get(j)), lg.get(j))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void decodingOnManyShortLivedThreadsKeepsABoundedNumberOfContexts() throws Exception {
        ValueDecoder decoder = decoderKnowing(heartbeats);
        byte[] value = values("heartbeat", 77, 1, 9).get(0);
        byte[] withDictionary = ZSTD.encode(value, heartbeats);
        byte[] plain = ZSTD.encode(values("log", 77, 1, 9).get(0));
        java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
        for (int round = 0; round < 50; round++) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Thread thread = new Thread(() -> {
                    if (!Arrays.equals(decoder.decodeValue(withDictionary), value)) {
                        wrong.incrementAndGet();
                    }
                    decoder.decodeValue(plain);
                });
                thread.start();
                threads.add(thread);
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
        assertThat(wrong).hasValue(0);
        // 400 threads came and went: the contexts they used wait in the pools, no more than MAX_IDLE each
        assertThat(ZstdBlockCompressor.idleDecompressionContexts()).isLessThanOrEqualTo(2 * ZstdBlockCompressor.ContextPool.MAX_IDLE);
    }

    @Test
    void aDictionaryZstdCannotUseIsRefusedWhenItIsLoadedNotAtTheFirstValue() {
        byte[] damaged = heartbeats.bytes();
        java.util.Arrays.fill(damaged, 8, 200, (byte) 0xFF); // the entropy tables
        ZstdDictionary broken = ZstdDictionary.of(damaged);
        assertThatThrownBy(() -> broken.check(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Long.toString(heartbeats.id()));
        byte[] encoded = ZSTD.encode(values("heartbeat", 1, 1, 3).get(0), heartbeats);
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(id -> damaged).build();
        assertThatThrownBy(() -> decoder.decodeValue(encoded)).isInstanceOf(UnknownDictionaryException.class)
                .hasMessageContaining("cannot use");
    }
}
