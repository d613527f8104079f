package io.redcompress.connect.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** The few statistics the benches print: nearest-rank percentiles, and the median with its spread over rounds. */
final class BenchStats {

    private BenchStats() {
    }

    /** The nearest-rank percentile {@code p} (0-100) of an ascending list; 0 for an empty one. */
    static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** The median of a few rounds (the lower middle one for an even count), with the lowest and the highest. */
    record Spread(double median, double min, double max) {

        static Spread of(Collection<Double> values) {
            if (values.isEmpty()) {
                return new Spread(Double.NaN, Double.NaN, Double.NaN);
            }
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            return new Spread(sorted.get((sorted.size() - 1) / 2), sorted.get(0), sorted.get(sorted.size() - 1));
        }
    }
}
