package io.redcompress.connect;

import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * The oldest worker the connector runs on: Apache Kafka 3.6 (Confluent Platform 7.6), the first whose SinkRecord
 * knows the topic, partition and offset a record had before any SMT renamed it (KIP-793) — what offsets are
 * committed under. An older worker fails the task at start with this message, rather than commit offsets under the
 * wrong topic. Plugin metrics (Kafka 4.1+) are optional.
 */
final class WorkerCompatibility {

    static final String MINIMUM = "Apache Kafka 3.6 (Confluent Platform 7.6)";

    private WorkerCompatibility() {
    }

    static void check() {
        check(SinkRecord.class, AppInfoParser.getVersion());
    }

    static void check(Class<?> sinkRecordClass, String workerVersion) {
        try {
            sinkRecordClass.getMethod("originalTopic");
            sinkRecordClass.getMethod("originalKafkaPartition");
            sinkRecordClass.getMethod("originalKafkaOffset");
        } catch (NoSuchMethodException e) {
            throw new ConnectException("This connector needs a Connect worker of " + MINIMUM + " or newer; this worker runs "
                    + "Kafka " + workerVersion + ", whose records do not carry their original topic, partition and offset, "
                    + "which offsets are committed under. Upgrade the worker.");
        }
    }
}
