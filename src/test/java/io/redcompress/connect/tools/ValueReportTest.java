package io.redcompress.connect.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryResolver;
import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.TestPayloads;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.tools.ValueReport.Outcome;

/** Each outcome and error kind, on the golden vectors of docs/value-format.md where there is one. */
class ValueReportTest {

    private static byte[] vector(String name) throws IOException {
        try (InputStream in = ValueReportTest.class.getResourceAsStream("/value-format-vectors/" + name + ".bin")) {
            return in.readAllBytes();
        }
    }

    private static ValueReport report(String vector) throws IOException {
        return ValueReport.of(vector(vector), ValueDecoder.defaults());
    }

    @Test
    void aDecodableValueHasItsHeaderOriginalAndRatio() {
        byte[] original = TestPayloads.json1500();
        byte[] stored = ValueEncoder.builder().codec(Codec.ZSTD).build().encode(original);

        ValueReport report = ValueReport.of(stored, ValueDecoder.defaults());

        assertThat(report.outcome()).isEqualTo(Outcome.DECODED);
        assertThat(report.codecName()).isEqualTo("zstd");
        assertThat(report.original()).isEqualTo(original);
        assertThat(report.ratio()).isEqualTo((double) stored.length / original.length);
    }

    @Test
    void aValueNotInOurFormatIsForeignNotUndecodable() throws IOException {
        assertThat(report("error-not-ours-json").outcome()).isEqualTo(Outcome.FOREIGN);
        assertThat(ValueReport.of(new byte[0], ValueDecoder.defaults()).codecName()).isEqualTo("foreign");
    }

    @Test
    void eachDamageHasItsErrorKind() throws IOException {
        assertThat(report("error-bad-crc").errorKind()).isEqualTo("corrupt:checksum-mismatch");
        assertThat(report("error-length-mismatch-lz4").errorKind()).isEqualTo("corrupt:length-mismatch");
        assertThat(report("error-trailing-zstd").errorKind()).isEqualTo("corrupt:trailing-bytes");
        assertThat(report("error-reserved-flag").errorKind()).isEqualTo("corrupt:bad-header");
        assertThat(report("error-truncated-none").errorKind()).isEqualTo("truncated");
        assertThat(report("error-future-version").errorKind()).isEqualTo("unsupported-version");
        assertThat(report("error-length-limit").errorKind()).isEqualTo("length-limit");
        ValueReport truncatedHeader = report("error-truncated-header");
        assertThat(truncatedHeader.outcome()).isEqualTo(Outcome.UNDECODABLE);
        assertThat(truncatedHeader.header()).isNull();
        assertThat(truncatedHeader.codecName()).isEqualTo("undecodable");
    }

    @Test
    void aDictionaryTheResolverDoesNotHaveIsAnUnknownDictionaryWithItsHeader() {
        List<byte[]> samples = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            samples.add(("{\"deviceId\":\"device-" + i + "\",\"status\":\"ok\",\"model\":\"TH-200\",\"firmware\":\"2.4.1\","
                    + "\"battery\":" + (i % 90) + ",\"location\":{\"site\":\"north\",\"floor\":" + (i % 7) + "}}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        ZstdDictionary dictionary = DictionaryTrainer.train(samples, 1024);
        byte[] stored = ValueEncoder.builder().codec(Codec.ZSTD).minSizeToCompress(0).build().encode(samples.get(0), dictionary);

        ValueReport unknown = ValueReport.of(stored, ValueDecoder.defaults());
        ValueReport known = ValueReport.of(stored, ValueDecoder.builder().dictionaries(DictionaryResolver.of(dictionary)).build());

        assertThat(unknown.errorKind()).isEqualTo("unknown-dictionary");
        assertThat(unknown.header().dictionaryId()).isEqualTo(dictionary.id());
        assertThat(known.outcome()).isEqualTo(Outcome.DECODED);
        assertThat(known.codecName()).isEqualTo("zstd+dictionary");
    }
}
