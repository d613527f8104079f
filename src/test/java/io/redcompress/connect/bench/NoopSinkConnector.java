package io.redcompress.connect.bench;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A sink whose {@code put()} does nothing: what a Connect worker costs on its own (poll, convert, commit), the ceiling
 * any sink's throughput is measured against in {@link ThroughputBench}. Found on the test classpath by
 * {@code plugin.discovery=service_load} (src/test/resources/META-INF/services). Offsets are committed as the
 * worker consumed them (SinkTask's default preCommit).
 */
public final class NoopSinkConnector extends SinkConnector {

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        this.props = props;
    }

    @Override
    public Class<? extends Task> taskClass() {
        return NoopTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return Collections.nCopies(maxTasks, props);
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public String version() {
        return "bench";
    }

    /** The do-nothing task. */
    public static final class NoopTask extends SinkTask {

        @Override
        public String version() {
            return "bench";
        }

        @Override
        public void start(Map<String, String> props) {
        }

        @Override
        public void put(Collection<SinkRecord> records) {
            // nothing: the records were polled and converted by the worker, which is what is measured
        }

        @Override
        public void stop() {
        }
    }
}
