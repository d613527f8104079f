package io.redcompress.connect;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class WorkerCompatibilityTest {

    /** SinkRecord as a Kafka 3.5 worker has it: no original coordinates. */
    static final class OldSinkRecord {
        public String topic() {
            return "t";
        }
    }

    @Test
    void aWorkerOlderThanKafka36FailsTheTaskSayingWhatItNeeds() {
        assertThatThrownBy(() -> WorkerCompatibility.check(OldSinkRecord.class, "3.5.2"))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("Apache Kafka 3.6").hasMessageContaining("runs Kafka 3.5.2");
    }

    @Test
    void thisWorkerIsSupported() {
        assertThatCode(() -> WorkerCompatibility.check(SinkRecord.class, "4.3.1")).doesNotThrowAnyException();
        assertThatCode(WorkerCompatibility::check).doesNotThrowAnyException();
    }
}
