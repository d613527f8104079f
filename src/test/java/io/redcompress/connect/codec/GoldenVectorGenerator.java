package io.redcompress.connect.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Factory;

/**
 * Writes the golden vectors of value format v1 to {@code src/test/resources/value-format-vectors/}
 * (or the directory given as the first argument): one {@code .bin} file per original and per encoded
 * value, and {@code vectors.json} describing them. {@link GoldenVectorsTest} checks the committed
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

    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ArrayNode vectors = mapper.createArrayNode();

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
        error("error-unknown-codec", "descriptor 0x50: codec id 5 is not assigned", bytes(0xF5, 0x50, 0x00),
                "corrupt", "BAD_HEADER");
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
    }

    private byte[] original(String id, byte[] bytes) {
        files.put("original-" + id + ".bin", bytes);
        return bytes;
    }

    private byte[] ok(String name, String description, String originalId, byte[] original, Codec codec,
                      Integer level, boolean checksum, int minSize) {
        ValueEncoder.Builder builder = ValueEncoder.builder().codec(codec).checksum(checksum).minSizeToCompress(minSize);
        if (level != null) {
            builder.level(level);
        }
        EncodedValue encoded = builder.build().encodeValue(original);
        verifyDecodes(name, encoded.bytes(), original);
        ObjectNode node = vector(name, description, encoded.bytes(), "ok");
        node.put("original", "original-" + originalId + ".bin");
        node.put("codecUsed", encoded.codec().configName());
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
        node.put("deterministic", encoded.codec() != Codec.GZIP);
        return encoded.bytes();
    }

    private void foreign(String name, String description, String originalId, byte[] original, Codec codec, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(original);
        byte[] value = new byte[ValueFormat.headerLength(original.length, true) + payload.length];
        int p = ValueFormat.writeHeader(value, 0, codec, true, original.length, (int) crc.getValue());
        System.arraycopy(payload, 0, value, p, payload.length);
        verifyDecodes(name, value, original);
        ObjectNode node = vector(name, description, value, "ok");
        node.put("original", "original-" + originalId + ".bin");
        node.put("codecUsed", codec.configName());
        node.putNull("encoder");
        node.put("deterministic", false);
    }

    private void error(String name, String description, byte[] value, String expect, String reason) {
        String actual = outcome(value);
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

    private static void verifyDecodes(String name, byte[] value, byte[] original) {
        if (!Arrays.equals(ValueDecoder.decode(value), original)) {
            throw new IllegalStateException(name + " does not decode to its original");
        }
    }

    /** The expected-error vocabulary of vectors.json for the outcome of decoding {@code value}. */
    static String outcome(byte[] value) {
        try {
            ValueDecoder.decode(value);
            return "ok";
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
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(dir.resolve(file.getKey()), file.getValue());
        }
        ObjectNode index = mapper.createObjectNode();
        index.put("format", "redcompress value format, version 1 (first byte 0xF5)");
        index.put("spec", "docs/value-format.md");
        index.put("generatedBy", GoldenVectorGenerator.class.getName());
        index.put("libraries", "lz4-java 1.10.1, snappy-java 1.1.10.8, zstd-jni 1.5.7 (libzstd 1.5.7), JDK zlib");
        index.put("expectValues", "ok | not-our-format | unsupported-version | truncated | corrupt | length-limit-exceeded");
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
