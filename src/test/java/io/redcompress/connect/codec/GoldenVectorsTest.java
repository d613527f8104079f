package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks the committed golden vectors in {@code src/test/resources/value-format-vectors/}: every
 * valid vector decodes to its original, our encoder still produces the committed bytes for the
 * deterministic codecs, and every error vector fails with the expected kind of error. Values that name
 * a zstd dictionary (codec id 5) find it in {@code dictionaries/} as {@link GoldenVectorGenerator#resolver}
 * says. Other implementations of the format can run the same files.
 */
class GoldenVectorsTest {

    private static final String DIR = "/value-format-vectors/";

    static Stream<JsonNode> vectors() {
        List<JsonNode> list = new ArrayList<>();
        index().get("vectors").forEach(list::add);
        return list.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void vector(JsonNode vector) {
        String name = vector.get("name").asText();
        byte[] encoded = resource(vector.get("encoded").asText());
        assertThat(encoded).as(name).hasSize(vector.get("encodedLength").asInt());
        String expect = vector.get("expect").asText();
        if (expect.equals("ok")) {
            checkValid(name, vector, encoded);
        } else {
            String outcome = GoldenVectorGenerator.outcome(encoded, resolver(vector));
            if (vector.hasNonNull("reason")) {
                assertThat(outcome).as(name).isEqualTo(expect + "/" + vector.get("reason").asText());
            } else {
                assertThat(outcome.replaceFirst("/.*", "")).as(name).isEqualTo(expect);
            }
            if (vector.hasNonNull("maxOriginalLength")) {
                assertThat(vector.get("maxOriginalLength").asInt()).isEqualTo(ValueDecoder.DEFAULT_MAX_ORIGINAL_LENGTH);
            }
        }
    }

    private static void checkValid(String name, JsonNode vector, byte[] encoded) {
        byte[] original = resource(vector.get("original").asText());
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(resolver(vector)).build();
        assertThat(decoder.decodeValue(encoded)).as("%s decodes to its original", name).isEqualTo(original);
        ValueHeader header = ValueDecoder.header(encoded);
        assertThat(header.codecName()).as(name).isEqualTo(vector.get("codecUsed").asText());
        assertThat(header.originalLength()).isEqualTo(original.length);
        ZstdDictionary dictionary = vector.hasNonNull("dictionary")
                ? ZstdDictionary.of(resource(vector.get("dictionary").asText())) : null;
        assertThat(header.dictionaryId()).as(name).isEqualTo(dictionary == null ? 0 : dictionary.id());

        JsonNode settings = vector.get("encoder");
        if (settings == null || settings.isNull()) {
            return; // written by "another implementation": decode only
        }
        ValueEncoder.Builder builder = ValueEncoder.builder()
                .codec(Codec.fromName(settings.get("codec").asText()))
                .checksum(settings.get("checksum").asBoolean())
                .minSizeToCompress(settings.get("minSizeToCompress").asInt());
        if (settings.hasNonNull("level")) {
            builder.level(settings.get("level").asInt());
        }
        byte[] reencoded = builder.build().encode(original, dictionary);
        if (vector.get("deterministic").asBoolean()) {
            assertThat(TestPayloads.hex(reencoded))
                    .as("%s: the encoder no longer produces the committed bytes. If a codec library was upgraded on "
                            + "purpose, check the old vectors still decode (they must), then rerun GoldenVectorGenerator", name)
                    .isEqualTo(TestPayloads.hex(encoded));
        } else {
            // gzip: deflate output may differ between zlib builds; header and gzip member header may not
            int headerLength = header.headerLength();
            int fixed = headerLength + (header.codec() == Codec.GZIP ? 10 : 0);
            assertThat(Arrays.copyOf(reencoded, fixed)).as(name).isEqualTo(Arrays.copyOf(encoded, fixed));
            assertThat(decoder.decodeValue(reencoded)).isEqualTo(original);
        }
    }

    @Test
    void vectorsCoverEveryCodecAndEveryErrorKind() {
        Set<String> codecsUsed = new HashSet<>();
        Set<String> expectations = new HashSet<>();
        Set<String> names = new HashSet<>();
        vectors().forEach(v -> {
            assertThat(names.add(v.get("name").asText())).as("unique name").isTrue();
            expectations.add(v.get("expect").asText());
            if (v.hasNonNull("codecUsed")) {
                codecsUsed.add(v.get("codecUsed").asText());
            }
        });
        assertThat(codecsUsed).containsExactlyInAnyOrder("none", "lz4", "snappy", "zstd", "gzip", "zstd+dictionary");
        assertThat(expectations).containsExactlyInAnyOrder("ok", "not-our-format", "unsupported-version",
                "truncated", "corrupt", "length-limit-exceeded", "unknown-dictionary");
        assertThat(names.size()).isGreaterThanOrEqualTo(40);
    }

    @Test
    void generatorReproducesTheCommittedDeterministicFiles() {
        GoldenVectorGenerator generator = new GoldenVectorGenerator();
        generator.generate();
        Set<String> gzipDependent = new HashSet<>();
        vectors().filter(v -> v.hasNonNull("deterministic") && !v.get("deterministic").asBoolean())
                .forEach(v -> gzipDependent.add(v.get("encoded").asText()));
        generator.files().forEach((file, bytes) -> {
            byte[] committed = resource(file);
            if (!gzipDependent.contains(file) && !file.startsWith("error-truncated-gzip")
                    && !file.startsWith("error-gzip-two-members")) {
                assertThat(TestPayloads.hex(bytes)).as(file).isEqualTo(TestPayloads.hex(committed));
            }
        });
    }

    @Test
    void dictionaryFilesCarryTheIdsTheirNamesSay() {
        JsonNode dictionaries = index().get("dictionaries");
        assertThat(dictionaries).isNotEmpty();
        dictionaries.forEach(d -> {
            String file = d.get("file").asText();
            byte[] bytes = resource(file);
            long id = d.get("id").asLong();
            assertThat(bytes).as(file).hasSize(d.get("size").asInt());
            assertThat(DictionaryIds.embedded(bytes)).as(file).isEqualTo(id);
            assertThat(file).as(file).endsWith("-" + id + ".bin");
            assertThat(DictionaryIds.hasDerivedId(bytes)).as(file).isEqualTo(d.get("derivedId").asBoolean());
            if (file.startsWith(GoldenVectorGenerator.DICTIONARIES + "dict-")) {
                assertThat(DictionaryIds.hasDerivedId(bytes)).as("%s is found by its id, so it has the derived id", file)
                        .isTrue();
            }
        });
    }

    @Test
    void theSmallestValueIsThreeBytes() {
        assertThat(resource("none-empty-nocrc.bin")).containsExactly(0xF5, 0x00, 0x00);
        assertThat(ValueDecoder.decode(resource("none-empty-nocrc.bin"))).isEmpty();
    }

    private static JsonNode index() {
        try {
            return new ObjectMapper().readTree(resource(GoldenVectorGenerator.INDEX));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Finds dictionaries for {@code vector} in the committed files. */
    private static DictionaryResolver resolver(JsonNode vector) {
        String named = vector.hasNonNull("dictionary") ? vector.get("dictionary").asText() : null;
        return GoldenVectorGenerator.resolver(named, GoldenVectorsTest::resourceOrNull);
    }

    private static byte[] resource(String file) {
        byte[] bytes = resourceOrNull(file);
        assertThat(bytes).as("resource %s%s", DIR, file).isNotNull();
        return bytes;
    }

    private static byte[] resourceOrNull(String file) {
        try (InputStream in = GoldenVectorsTest.class.getResourceAsStream(DIR + file)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
