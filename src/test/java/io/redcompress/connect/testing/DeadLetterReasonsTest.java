package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeadLetterReasonsTest {

    /** What Connect 4.3 writes for a malformed JSON value under JsonConverter. */
    private static final String CONVERTER_MESSAGE = "Converting byte[] to Kafka Connect data failed due to serialization error: ";
    private static final String CONVERTER_TRACE = """
            org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to serialization error:\s
            \tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:333)
            Caused by: org.apache.kafka.common.errors.SerializationException: com.fasterxml.jackson.core.JsonParseException: Unexpected character ('}' (code 125))
            \tat org.apache.kafka.connect.json.JsonDeserializer.deserialize(JsonDeserializer.java:69)
            Caused by: com.fasterxml.jackson.core.JsonParseException: Unexpected character ('}' (code 125)): was expecting double-quote
            \tat com.fasterxml.jackson.core.JsonParser._constructError(JsonParser.java:2477)
            """;

    @Test
    void aConverterFailureNamesItsRootCause() {
        assertThat(DeadLetterReasons.explain(CONVERTER_MESSAGE, CONVERTER_TRACE)).isEqualTo(
                "Converting byte[] to Kafka Connect data failed due to serialization error: com.fasterxml.jackson.core."
                        + "JsonParseException: Unexpected character ('}' (code 125)): was expecting double-quote");
    }

    @Test
    void aMessageThatSaysItAllIsLeftAlone() {
        String ours = "Record topic=t partition=0 offset=3 cannot be written: record key is null";
        assertThat(DeadLetterReasons.explain(ours, "io.redcompress...UndecodableRecordException: " + ours)).isEqualTo(ours);
        assertThat(DeadLetterReasons.explain(ours, null)).isEqualTo(ours);
    }

    @Test
    void withoutAMessageTheTraceSpeaks() {
        assertThat(DeadLetterReasons.explain(null, "java.lang.IllegalStateException: boom\n\tat x.y(Z.java:1)"))
                .isEqualTo("java.lang.IllegalStateException: boom");
    }
}
