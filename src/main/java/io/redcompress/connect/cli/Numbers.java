package io.redcompress.connect.cli;

import java.util.Locale;

/** How the commands print figures. */
final class Numbers {

    private Numbers() {
    }

    /** A stored/original ratio with three decimals, "n/a" for NaN. */
    static String ratio(double ratio) {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.3f", ratio);
    }

    /** A share as a percentage with one decimal. */
    static String percent(double share) {
        return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    /** A whole number with thousands separators. */
    static String count(long count) {
        return String.format(Locale.ROOT, "%,d", count);
    }

    /** An average, rounded to a whole number, "n/a" for NaN. */
    static String average(double average) {
        return Double.isNaN(average) ? "n/a" : String.format(Locale.ROOT, "%,.0f", average);
    }
}
