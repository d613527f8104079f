package io.redcompress.connect.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import io.redcompress.connect.testing.SampleData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Factory;

/**
 * Writes the golden vectors of value format v1 to {@code src/test/resources/value-format-vectors/}
 * (or the directory given as the first argument): one {@code .bin} file per original and per encoded
 * value, the zstd dictionaries codec-id-5 vectors name under {@code dictionaries/}, and
 * {@code vectors.json} describing them. {@link GoldenVectorsTest} checks the committed
 * files; rerun this only when adding vectors or after a deliberate codec library upgrade changes the
 * (otherwise deterministic) compressed bytes - and then check that the old files still decode.
 *
 * <pre>
 * mvn -o -q test-compile
 * java -cp target/classes:target/test-classes:$(cat cp.txt) io.redcompress.connect.codec.GoldenVectorGenerator
 * </pre>
 *
 * <p>Every vector is verified against the decoder before it is written, so the generator refuses to
 * produce a vector whose expectation the current implementation does not meet.
 */
public final class GoldenVectorGenerator {

    static final String INDEX = "vectors.json";
    /** Where the dictionaries live, relative to the vectors: {@code dictionaries/dict-<id>.bin}. */
    static final String DICTIONARIES = "dictionaries/";
    /** Size the vectors' dictionaries are trained to. */
    static final int DICTIONARY_BYTES = 4096;

    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ArrayNode vectors = mapper.createArrayNode();
    private final ArrayNode dictionaries = mapper.createArrayNode();

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/value-format-vectors");
        GoldenVectorGenerator generator = new GoldenVectorGenerator();
        generator.generate();
        generator.write(dir);
        System.out.println("wrote " + generator.vectors.size() + " vectors and " + generator.files.size()
                + " files to " + dir.toAbsolutePath());
    }

    void generate() {
        byte[] empty = original("empty", new byte[0]);
        byte[] oneByte = original("one-byte", "x".getBytes(StandardCharsets.US_ASCII));
        byte[] shortText = original("short-text", "short text below the minimum size".getBytes(StandardCharsets.US_ASCII));
        byte[] heartbeat = original("heartbeat-190", TestPayloads.heartbeat190());
        byte[] json = original("json-1532", TestPayloads.json1500());
        byte[] random = original("random-512", TestPayloads.random(512, 512));
        byte[] lines = original("lines-65536", TestPayloads.jsonLines(65536));

        // ---- values our encoder writes
        byte[] noneEmpty = ok("none-empty", "codec none, empty original, with CRC32C (of nothing: 0)",
                "empty", empty, Codec.NONE, null, true, 64);
        ok("none-empty-nocrc", "the shortest possible value: F5 00 00", "empty", empty, Codec.NONE, null, false, 64);
        ok("none-one-byte", "codec none, one byte", "one-byte", oneByte, Codec.NONE, null, true, 64);
        byte[] noneJson = ok("none-json", "codec none configured, 1532-byte JSON stored as is",
                "json-1532", json, Codec.NONE, null, true, 64);
        ok("lz4-short-text-stored", "lz4 configured, value below minSizeToCompress=64: stored with codec none",
                "short-text", shortText, Codec.LZ4, null, true, 64);
        ok("lz4-heartbeat-stored", "lz4 configured, but the 190-byte heartbeat does not get smaller: stored with codec none",
                "heartbeat-190", heartbeat, Codec.LZ4, null, true, 64);
        byte[] lz4Json = ok("lz4-json", "lz4, 1532-byte JSON, with CRC32C", "json-1532", json, Codec.LZ4, null, true, 64);
        byte[] lz4JsonNoCrc = ok("lz4-json-nocrc", "lz4, 1532-byte JSON, no checksum", "json-1532", json, Codec.LZ4, null, false, 64);
        ok("lz4-lines-64k", "lz4, 65536 bytes of JSON lines (3-byte length varint)", "lines-65536", lines, Codec.LZ4, null, true, 64);
        ok("snappy-json", "snappy, 1532-byte JSON, with CRC32C", "json-1532", json, Codec.SNAPPY, null, true, 64);
        ok("snappy-json-nocrc", "snappy, 1532-byte JSON, no checksum", "json-1532", json, Codec.SNAPPY, null, false, 64);
        ok("snappy-lines-64k", "snappy, 65536 bytes of JSON lines", "lines-65536", lines, Codec.SNAPPY, null, true, 64);
        ok("zstd-heartbeat", "zstd level 3, 190-byte heartbeat", "heartbeat-190", heartbeat, Codec.ZSTD, 3, true, 64);
        byte[] zstdJson = ok("zstd-json", "zstd level 3, 1532-byte JSON, with CRC32C", "json-1532", json, Codec.ZSTD, 3, true, 64);
        ok("zstd-json-nocrc", "zstd level 3, 1532-byte JSON, no checksum", "json-1532", json, Codec.ZSTD, 3, false, 64);
        ok("zstd-json-level19", "zstd level 19, 1532-byte JSON", "json-1532", json, Codec.ZSTD, 19, true, 64);
        ok("zstd-lines-64k", "zstd level 3, 65536 bytes of JSON lines", "lines-65536", lines, Codec.ZSTD, 3, true, 64);
        ok("zstd-random-stored", "zstd configured, 512 random bytes do not compress: stored with codec none",
                "random-512", random, Codec.ZSTD, 3, true, 64);
        ok("gzip-heartbeat", "gzip level 6, 190-byte heartbeat", "heartbeat-190", heartbeat, Codec.GZIP, 6, true, 64);
        byte[] gzipJson = ok("gzip-json", "gzip level 6, 1532-byte JSON, with CRC32C", "json-1532", json, Codec.GZIP, 6, true, 64);
        ok("gzip-json-level1", "gzip level 1 (XFL=4)", "json-1532", json, Codec.GZIP, 1, true, 64);
        ok("gzip-json-level9", "gzip level 9 (XFL=2)", "json-1532", json, Codec.GZIP, 9, true, 64);
        ok("gzip-lines-64k", "gzip level 6, 65536 bytes of JSON lines", "lines-65536", lines, Codec.GZIP, 6, true, 64);

        // ---- valid values as another implementation might write them (decode only)
        foreign("foreign-gzip-header-fields", "gzip member with FEXTRA, FNAME, FCOMMENT, FHCRC, MTIME and OS=3 set; "
                + "decoders must skip these fields", "json-1532", json, Codec.GZIP,
                ValueDecoderTest.gzipWithAllHeaderFields(json, true));
        byte[] noContentSize;
        try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            noContentSize = ctx.setLevel(5).setContentSize(false).setChecksum(true).compress(json);
        }
        foreign("foreign-zstd-no-content-size", "zstd frame without Frame_Content_Size and with a content checksum; "
                + "decoders must not require the content size", "json-1532", json, Codec.ZSTD, noContentSize);

        // ---- values that must be rejected
        error("error-empty", "zero bytes: the empty prefix of every value", new byte[0], "truncated", null);
        error("error-not-ours-json", "plain JSON text written by someone else", heartbeat, "not-our-format", null);
        error("error-not-ours-raw-lz4", "a raw LZ4 block without our header (first byte 0xB0)",
                LZ4Factory.fastestInstance().fastCompressor().compress(json), "not-our-format", null);
        error("error-future-version", "zstd-json with the first byte changed to 0xF6 (a future format version)",
                withByte(zstdJson, 0, 0xF6), "unsupported-version", null);
        error("error-truncated-header", "the first 5 bytes of lz4-json: ends inside the CRC32C field",
                Arrays.copyOf(lz4Json, 5), "truncated", null);
        error("error-truncated-none", "none-json without its last byte", cut(noneJson), "truncated", null);
        error("error-truncated-zstd", "zstd-json without its last byte", cut(zstdJson), "truncated", null);
        error("error-truncated-gzip", "gzip-json without its last byte (inside the gzip trailer)", cut(gzipJson),
                "truncated", null);
        error("error-truncated-lz4", "lz4-json without its last byte: a raw LZ4 block has no end marker, so "
                + "this is reported as corrupt", cut(lz4Json), "corrupt", "CODEC_FAILURE");
        error("error-bad-crc", "lz4-json with the last CRC32C byte (offset 7) changed", withByte(lz4Json, 7, lz4Json[7] ^ 0x40),
                "corrupt", "CHECKSUM_MISMATCH");
        error("error-payload-bitflip", "lz4-json with one bit flipped in a literal: only the CRC32C catches it",
                withByte(lz4Json, 12, lz4Json[12] ^ 0x01), "corrupt", "CHECKSUM_MISMATCH");
        error("error-reserved-flag", "descriptor 0x03: reserved flag bit 1 set", bytes(0xF5, 0x03, 0x00, 0, 0, 0, 0),
                "corrupt", "BAD_HEADER");
        error("error-unknown-codec", "descriptor 0x60: codec id 6 is not assigned (5 is zstd with a dictionary)",
                bytes(0xF5, 0x60, 0x00), "corrupt", "BAD_HEADER");
        error("error-overlong-varint", "length 0 written as 80 00 (not minimal)", bytes(0xF5, 0x00, 0x80, 0x00),
                "corrupt", "BAD_HEADER");
        error("error-varint-too-long", "a 6-byte length varint", bytes(0xF5, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00),
                "corrupt", "BAD_HEADER");
        error("error-varint-overflow", "length varint 80 80 80 80 08 = 2^31, above the maximum 2^31-1",
                bytes(0xF5, 0x00, 0x80, 0x80, 0x80, 0x80, 0x08), "corrupt", "BAD_HEADER");
        error("error-length-limit", "lz4 value declaring 2^31-1 bytes with a 1-byte payload; rejected by the "
                + "64 MiB cap before allocating", bytes(0xF5, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00),
                "length-limit-exceeded", null);
        error("error-trailing-none", "none-json with one extra byte", append(noneJson, 0x00), "corrupt", "TRAILING_BYTES");
        error("error-trailing-zstd", "zstd-json with one extra byte after the frame", append(zstdJson, 0x00),
                "corrupt", "TRAILING_BYTES");
        error("error-gzip-two-members", "gzip-json followed by a second gzip member (of nothing)",
                ValueDecoderTest.concat(gzipJson, bytes(0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 0x03, 0x00,
                        0, 0, 0, 0, 0, 0, 0, 0)), "corrupt", "TRAILING_BYTES");
        byte[] lz4Payload = Arrays.copyOfRange(lz4JsonNoCrc, 4, lz4JsonNoCrc.length);
        error("error-length-mismatch-lz4", "lz4-json-nocrc with the declared length changed to 1533",
                ValueDecoderTest.value(Codec.LZ4, 1533, lz4Payload), "corrupt", "LENGTH_MISMATCH");

        if (noneEmpty.length != 7) {
            throw new IllegalStateException("unexpected none-empty length " + noneEmpty.length);
        }

        generateWithDictionary(json);
    }

    /** Codec id 5: values compressed with a zstd dictionary, valid and damaged. */
    private void generateWithDictionary(byte[] json) {
        ZstdDictionary dictionary = dictionary("dict", "4 KiB zstd dictionary trained on 1000 SampleData heartbeats "
                + "(sequences 0..999, Random seed 1), its derived id in bytes 4..7", heartbeats(1), 0);
        String file = DICTIONARIES + "dict-" + dictionary.id() + ".bin";
        long id = dictionary.id();
        byte[] heartbeat = original("sample-heartbeat", SampleData.ofKind("heartbeat", 4242, new Random(42)));

        // ---- values our encoder writes
        byte[] dictHeartbeat = ok("zstd-dict-heartbeat", "zstd level 3 with the heartbeat dictionary (codec id 5, "
                + "3-byte dictionary id), a SampleData heartbeat outside the training set, with CRC32C",
                "sample-heartbeat", heartbeat, Codec.ZSTD, 3, true, 64, file);
        byte[] dictHeartbeatNoCrc = ok("zstd-dict-heartbeat-nocrc", "as zstd-dict-heartbeat, no checksum",
                "sample-heartbeat", heartbeat, Codec.ZSTD, 3, false, 64, file);
        ok("zstd-dict-json-1532", "the 1532-byte order JSON with the heartbeat dictionary (2-byte length varint)",
                "json-1532", json, Codec.ZSTD, 3, true, 64, file);

        // ---- as another implementation might write it: a frame with every optional field
        byte[] fullFrame;
        try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            fullFrame = ctx.setLevel(3).setContentSize(true).setDictID(true).setChecksum(true)
                    .loadDict(dictionary.bytes()).compress(heartbeat);
        }
        byte[] fullMagicless = stripMagic(fullFrame);
        foreign("zstd-dict-foreign-fields", "codec id 5 payload whose frame carries a content size, the dictionary id "
                + "and a content checksum (a zstd-jni ZstdCompressCtx with the dictionary, magic stripped); decoders "
                + "must accept these fields when they agree with the header", "sample-heartbeat", heartbeat, file,
                fullMagicless);

        // ---- values that must be rejected
        int hbHeader = ValueFormat.headerLength(heartbeat.length, true);
        error("error-unknown-dictionary", "zstd-dict-heartbeat naming dictionary " + (id ^ 1) + ", which no "
                + "dictionary file has", withDictionaryId(dictHeartbeat, hbHeader, id ^ 1), "unknown-dictionary", null,
                null);
        error("error-dict-id-zero", "codec id 5, empty original, dictionary id 0 (reserved)",
                bytes(0xF5, 0x50, 0x00, 0x00), "corrupt", "BAD_HEADER");
        error("error-dict-id-overlong", "zstd-dict-heartbeat-nocrc with its dictionary id written in 4 bytes "
                + "(continuation set on the third, then 00): not minimal",
                overlongDictionaryId(dictHeartbeatNoCrc, ValueFormat.headerLength(heartbeat.length, false)),
                "corrupt", "BAD_HEADER");
        error("error-dict-id-truncated", "the first " + (hbHeader + 2) + " bytes of zstd-dict-heartbeat: ends "
                + "inside the dictionary id varint", Arrays.copyOf(dictHeartbeat, hbHeader + 2), "truncated", null);
        error("error-zstd-dict-cut", "zstd-dict-heartbeat without its last byte", cut(dictHeartbeat), "truncated",
                null, file);
        byte[] emptyFrame;
        try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            emptyFrame = ctx.setMagicless(true).compress(new byte[0]);
        }
        byte[] trailing = ValueDecoderTest.concat(dictHeartbeat, emptyFrame);
        requireMagiclessZstdAccepts(trailing, hbHeader + 3, heartbeat, dictionary);
        error("error-zstd-dict-trailing-empty-frame", "zstd-dict-heartbeat followed by an empty magicless frame ("
                + TestPayloads.hex(emptyFrame) + "); zstd's magicless decoder alone returns the original and "
                + "ignores it", trailing, "corrupt", "TRAILING_BYTES", file);
        error("error-zstd-dict-frame-id-mismatch", "zstd-dict-foreign-fields with the frame header's dictionary id "
                + "changed to " + (id ^ 1) + " (the value header names " + id + ")",
                dictionaryValue(heartbeat, true, heartbeat.length, id, withFrameDictionaryId(fullMagicless, id ^ 1)),
                "corrupt", "CODEC_FAILURE", file);
        error("error-zstd-dict-content-size-mismatch", "zstd-dict-foreign-fields with the header declaring "
                + (heartbeat.length + 1) + " bytes; the frame's content size says " + heartbeat.length,
                dictionaryValue(heartbeat, true, heartbeat.length + 1, id, fullMagicless),
                "corrupt", "LENGTH_MISMATCH", file);
        ZstdDictionary impostor = dictionary("impostor", "another 4 KiB heartbeat dictionary (sequences 0..999, "
                + "Random seed 2) with bytes 4..7 overwritten by the id of dictionary " + id + ": not its derived id",
                heartbeats(2), id);
        error("error-zstd-dict-wrong-dictionary", "zstd-dict-heartbeat, the resolver returning a different "
                + "dictionary that carries the same id " + id + "; only the CRC32C or zstd itself can notice",
                dictHeartbeat, "corrupt", null, DICTIONARIES + "impostor-" + impostor.id() + ".bin");
    }

    /** 1000 SampleData heartbeats (sequences 0..999) from {@code new Random(seed)}. */
    private static List<byte[]> heartbeats(long seed) {
        Random random = new Random(seed);
        List<byte[]> samples = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            samples.add(SampleData.ofKind("heartbeat", i, random));
        }
        return samples;
    }

    /**
     * Trains a dictionary and adds it as {@code dictionaries/<prefix>-<id>.bin}; with its derived id, or with
     * {@code forcedId} written over it unless that is 0.
     */
    private ZstdDictionary dictionary(String prefix, String description, List<byte[]> samples, long forcedId) {
        byte[] bytes = DictionaryTrainer.train(samples, DICTIONARY_BYTES).bytes();
        if (forcedId != 0) {
            writeLittleEndian(bytes, 4, forcedId);
        }
        ZstdDictionary dictionary = ZstdDictionary.of(bytes);
        String file = DICTIONARIES + prefix + "-" + dictionary.id() + ".bin";
        if (files.put(file, bytes) != null) {
            throw new IllegalStateException("duplicate dictionary " + file);
        }
        ObjectNode node = dictionaries.addObject();
        node.put("file", file);
        node.put("id", dictionary.id());
        node.put("size", bytes.length);
        node.put("derivedId", dictionary.hasDerivedId());
        node.put("description", description);
        return dictionary;
    }

    /** A codec-5 value with the given declared length and payload, CRC32C of {@code original} if {@code checksum}. */
    private static byte[] dictionaryValue(byte[] original, boolean checksum, int declaredLength, long id,
                                          byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(original);
        byte[] value = new byte[ValueFormat.headerLength(declaredLength, checksum, id) + payload.length];
        int p = ValueFormat.writeDictionaryHeader(value, 0, checksum, declaredLength, (int) crc.getValue(), id);
        System.arraycopy(payload, 0, value, p, payload.length);
        return value;
    }

    /** {@code value} (a codec-5 value whose 3-byte id starts at {@code idOffset}) naming {@code id} instead. */
    private static byte[] withDictionaryId(byte[] value, int idOffset, long id) {
        byte[] out = value.clone();
        out[idOffset] = (byte) (id & 0x7F | 0x80);
        out[idOffset + 1] = (byte) (id >>> 7 & 0x7F | 0x80);
        out[idOffset + 2] = (byte) (id >>> 14);
        return out;
    }

    /** {@code value} with its 3-byte dictionary id at {@code idOffset} written in 4 bytes, the last 00. */
    private static byte[] overlongDictionaryId(byte[] value, int idOffset) {
        byte[] out = new byte[value.length + 1];
        System.arraycopy(value, 0, out, 0, idOffset + 3);
        out[idOffset + 2] |= (byte) 0x80;
        out[idOffset + 3] = 0;
        System.arraycopy(value, idOffset + 3, out, idOffset + 4, value.length - idOffset - 3);
        return out;
    }

    /** A standard zstd frame without its magic number {@code 28 B5 2F FD}. */
    private static byte[] stripMagic(byte[] frame) {
        if ((frame[0] & 0xFF) != 0x28 || (frame[1] & 0xFF) != 0xB5 || (frame[2] & 0xFF) != 0x2F
                || (frame[3] & 0xFF) != 0xFD) {
            throw new IllegalStateException("not a zstd frame: " + TestPayloads.hex(Arrays.copyOf(frame, 4)));
        }
        return Arrays.copyOfRange(frame, 4, frame.length);
    }

    /** {@code magicless} (a frame whose header has a 4-byte dictionary id) with that id replaced by {@code id}. */
    private static byte[] withFrameDictionaryId(byte[] magicless, long id) {
        int descriptor = magicless[0] & 0xFF;
        if ((descriptor & 0x03) != 3) {
            throw new IllegalStateException(String.format("frame header descriptor 0x%02X has no 4-byte dictionary id",
                    descriptor));
        }
        boolean singleSegment = (descriptor & 0x20) != 0;
        byte[] out = magicless.clone();
        writeLittleEndian(out, singleSegment ? 1 : 2, id);
        return out;
    }

    private static void writeLittleEndian(byte[] bytes, int offset, long value) {
        for (int i = 0; i < 4; i++) {
            bytes[offset + i] = (byte) (value >>> 8 * i);
        }
    }

    /**
     * Makes sure zstd itself, reading the payload in its magicless format with the dictionary, returns
     * {@code original}: the vector shows damage only the value format's own checks catch.
     */
    private static void requireMagiclessZstdAccepts(byte[] value, int payloadOffset, byte[] original,
                                                    ZstdDictionary dictionary) {
        byte[] payload = Arrays.copyOfRange(value, payloadOffset, value.length);
        byte[] decoded;
        try (ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
            decoded = ctx.setMagicless(true).loadDict(dictionary.bytes()).decompress(payload, original.length);
        }
        if (!Arrays.equals(decoded, original)) {
            throw new IllegalStateException("zstd's magicless decoder does not return the original for "
                    + TestPayloads.hex(payload));
        }
    }

    private byte[] original(String id, byte[] bytes) {
        files.put("original-" + id + ".bin", bytes);
        return bytes;
    }

    private byte[] ok(String name, String description, String originalId, byte[] original, Codec codec,
                      Integer level, boolean checksum, int minSize) {
        return ok(name, description, originalId, original, codec, level, checksum, minSize, null);
    }

    /** A value our encoder writes; with {@code dictionaryFile} (one of {@link #files}), compressed with that dictionary. */
    private byte[] ok(String name, String description, String originalId, byte[] original, Codec codec,
                      Integer level, boolean checksum, int minSize, String dictionaryFile) {
        ValueEncoder.Builder builder = ValueEncoder.builder().codec(codec).checksum(checksum).minSizeToCompress(minSize);
        if (level != null) {
            builder.level(level);
        }
        ValueEncoder valueEncoder = builder.build();
        byte[] encoded = dictionaryFile == null ? valueEncoder.encode(original)
                : valueEncoder.encode(original, ZstdDictionary.of(files.get(dictionaryFile)));
        String codecUsed = ValueDecoder.header(encoded).codecName();
        if (dictionaryFile != null && !codecUsed.equals("zstd+dictionary")) {
            throw new IllegalStateException(name + " was stored with " + codecUsed + ", not with the dictionary");
        }
        verifyDecodes(name, encoded, original, dictionaryFile);
        ObjectNode node = vector(name, description, encoded, "ok");
        node.put("original", "original-" + originalId + ".bin");
        node.put("codecUsed", codecUsed);
        if (dictionaryFile != null) {
            node.put("dictionary", dictionaryFile);
        }
        ObjectNode encoder = node.putObject("encoder");
        encoder.put("codec", codec.configName());
        if (level == null) {
            encoder.putNull("level");
        } else {
            encoder.put("level", level);
        }
        encoder.put("checksum", checksum);
        encoder.put("minSizeToCompress", minSize);
        // deflate output depends on the zlib build; everything else is fixed for given library versions
        node.put("deterministic", !codecUsed.equals("gzip"));
        return encoded;
    }

    private void foreign(String name, String description, String originalId, byte[] original, Codec codec, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(original);
        byte[] value = new byte[ValueFormat.headerLength(original.length, true) + payload.length];
        int p = ValueFormat.writeHeader(value, 0, codec, true, original.length, (int) crc.getValue());
        System.arraycopy(payload, 0, value, p, payload.length);
        foreign(name, description, originalId, original, value, null);
    }

    /** A codec-5 value with a CRC32C, naming the dictionary in {@code dictionaryFile}, with the given frame. */
    private void foreign(String name, String description, String originalId, byte[] original, String dictionaryFile,
                         byte[] magiclessFrame) {
        long id = ZstdDictionary.of(files.get(dictionaryFile)).id();
        foreign(name, description, originalId, original,
                dictionaryValue(original, true, original.length, id, magiclessFrame), dictionaryFile);
    }

    private void foreign(String name, String description, String originalId, byte[] original, byte[] value,
                         String dictionaryFile) {
        verifyDecodes(name, value, original, dictionaryFile);
        ObjectNode node = vector(name, description, value, "ok");
        node.put("original", "original-" + originalId + ".bin");
        node.put("codecUsed", ValueDecoder.header(value).codecName());
        if (dictionaryFile != null) {
            node.put("dictionary", dictionaryFile);
        }
        node.putNull("encoder");
        node.put("deterministic", false);
    }

    private void error(String name, String description, byte[] value, String expect, String reason) {
        error(name, description, value, expect, reason, null);
    }

    /** An error vector whose decoding resolves dictionaries as {@link #resolver} does for {@code dictionaryFile}. */
    private void error(String name, String description, byte[] value, String expect, String reason,
                       String dictionaryFile) {
        String actual = outcome(value, resolver(dictionaryFile, files::get));
        boolean matches = reason == null
                ? actual.equals(expect) || actual.startsWith(expect + "/")
                : actual.equals(expect + "/" + reason);
        if (!matches) {
            throw new IllegalStateException(name + ": expected " + expect + (reason == null ? "" : "/" + reason)
                    + " but the decoder says " + actual);
        }
        ObjectNode node = vector(name, description, value, expect);
        if (reason != null) {
            node.put("reason", reason);
        }
        if (dictionaryFile != null) {
            node.put("dictionary", dictionaryFile);
        }
        if (expect.equals("length-limit-exceeded")) {
            node.put("maxOriginalLength", ValueDecoder.DEFAULT_MAX_ORIGINAL_LENGTH);
        }
    }

    private ObjectNode vector(String name, String description, byte[] value, String expect) {
        String file = name + ".bin";
        if (files.put(file, value) != null) {
            throw new IllegalStateException("duplicate vector " + name);
        }
        ObjectNode node = vectors.addObject();
        node.put("name", name);
        node.put("description", description);
        node.put("encoded", file);
        node.put("encodedLength", value.length);
        node.put("expect", expect);
        return node;
    }

    private void verifyDecodes(String name, byte[] value, byte[] original) {
        verifyDecodes(name, value, original, null);
    }

    private void verifyDecodes(String name, byte[] value, byte[] original, String dictionaryFile) {
        byte[] decoded = ValueDecoder.builder().dictionaries(resolver(dictionaryFile, files::get)).build()
                .decodeValue(value);
        if (!Arrays.equals(decoded, original)) {
            throw new IllegalStateException(name + " does not decode to its original");
        }
    }

    /**
     * How a vector's dictionaries are found: a vector that names a {@code dictionary} file gets that file
     * for whatever id it asks; any other gets {@code dictionaries/dict-<id>.bin}, or nothing if there is
     * no such file. {@code file} reads a file of the vectors (null if absent).
     */
    static DictionaryResolver resolver(String dictionaryFile, Function<String, byte[]> file) {
        return id -> file.apply(dictionaryFile != null ? dictionaryFile : DICTIONARIES + "dict-" + id + ".bin");
    }

    /** The expected-error vocabulary of vectors.json for the outcome of decoding {@code value}. */
    static String outcome(byte[] value, DictionaryResolver dictionaries) {
        try {
            ValueDecoder.builder().dictionaries(dictionaries).build().decodeValue(value);
            return "ok";
        } catch (UnknownDictionaryException e) {
            return "unknown-dictionary";
        } catch (NotOurFormatException e) {
            return "not-our-format";
        } catch (UnsupportedFormatVersionException e) {
            return "unsupported-version";
        } catch (TruncatedValueException e) {
            return "truncated";
        } catch (OriginalLengthLimitExceededException e) {
            return "length-limit-exceeded";
        } catch (CorruptValueException e) {
            return "corrupt/" + e.reason();
        }
    }

    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.createDirectories(dir.resolve(DICTIONARIES));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(dir.resolve(file.getKey()), file.getValue());
        }
        ObjectNode index = mapper.createObjectNode();
        index.put("format", "redcompress value format, version 1 (first byte 0xF5)");
        index.put("spec", "docs/value-format.md");
        index.put("generatedBy", GoldenVectorGenerator.class.getName());
        index.put("libraries", "lz4-java 1.10.1, snappy-java 1.1.10.8, zstd-jni 1.5.7 (libzstd 1.5.7), JDK zlib");
        index.put("expectValues", "ok | not-our-format | unsupported-version | truncated | corrupt | length-limit-exceeded"
                + " | unknown-dictionary");
        index.put("dictionaryLookup", "a vector with \"dictionary\" resolves every id to that file; any other "
                + "resolves id N to dictionaries/dict-N.bin if it exists, else to nothing");
        index.set("dictionaries", dictionaries);
        index.set("vectors", vectors);
        Files.writeString(dir.resolve(INDEX), mapper.writeValueAsString(index) + "\n", StandardCharsets.UTF_8);
    }

    Map<String, byte[]> files() {
        return files;
    }

    private static byte[] cut(byte[] value) {
        return Arrays.copyOf(value, value.length - 1);
    }

    private static byte[] append(byte[] value, int b) {
        byte[] out = Arrays.copyOf(value, value.length + 1);
        out[value.length] = (byte) b;
        return out;
    }

    private static byte[] withByte(byte[] value, int index, int b) {
        byte[] out = value.clone();
        out[index] = (byte) b;
        return out;
    }

    private static byte[] bytes(int... values) {
        return ValueDecoderTest.bytes(values);
    }
}
