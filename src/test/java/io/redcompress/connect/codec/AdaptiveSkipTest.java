package io.redcompress.connect.codec;

import static io.redcompress.connect.codec.AdaptiveSkip.MIN_SAVED_PERCENT;
import static io.redcompress.connect.codec.AdaptiveSkip.PROBE_EVERY;
import static io.redcompress.connect.codec.AdaptiveSkip.PROBE_WINDOW;
import static io.redcompress.connect.codec.AdaptiveSkip.WINDOW;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdaptiveSkipTest {

    /** Feeds {@code count} values of {@code length} bytes that compress to {@code payloadLength}; returns how many were attempted. */
    private static int feed(AdaptiveSkip skip, int count, int length, int payloadLength) {
        int attempted = 0;
        for (int i = 0; i < count; i++) {
            if (skip.shouldAttempt(length)) {
                attempted++;
                skip.attempted(length, payloadLength);
            }
        }
        return attempted;
    }

    @Test
    void theRuleAsDocumented() {
        assertThat(WINDOW).isEqualTo(64);
        assertThat(PROBE_EVERY).isEqualTo(32);
        assertThat(PROBE_WINDOW).isEqualTo(8);
        assertThat(MIN_SAVED_PERCENT).isEqualTo(3);
    }

    @Test
    void sizeClassesArePowersOfTwo() {
        assertThat(AdaptiveSkip.sizeClass(0)).isZero();
        assertThat(AdaptiveSkip.sizeClass(1)).isEqualTo(1);
        assertThat(AdaptiveSkip.sizeClass(2)).isEqualTo(2);
        assertThat(AdaptiveSkip.sizeClass(3)).isEqualTo(2);
        assertThat(AdaptiveSkip.sizeClass(127)).isEqualTo(7);
        assertThat(AdaptiveSkip.sizeClass(128)).isEqualTo(8);
        assertThat(AdaptiveSkip.sizeClass(255)).isEqualTo(8);
        assertThat(AdaptiveSkip.sizeClass(Integer.MAX_VALUE)).isEqualTo(31);
    }

    @Test
    void everyValueIsAttemptedUntilAWindowOfAttemptsSavedNothing() {
        AdaptiveSkip skip = new AdaptiveSkip();
        assertThat(feed(skip, WINDOW - 1, 200, 200)).isEqualTo(WINDOW - 1);
        assertThat(skip.isSkipping(200)).isFalse();
        assertThat(feed(skip, 1, 200, -1)).isEqualTo(1); // gave up early: saved nothing either
        assertThat(skip.isSkipping(200)).isTrue();
        assertThat(skip.isSkipping(128)).as("same size class").isTrue();
        assertThat(skip.isSkipping(256)).as("the next class is judged on its own").isFalse();
        assertThat(skip.isSkipping(127)).isFalse();
    }

    @Test
    void aCompressorThatGaveUpEarlySavedNothing() {
        AdaptiveSkip skip = new AdaptiveSkip();
        feed(skip, WINDOW, 1000, -1);
        assertThat(skip.isSkipping(1000)).isTrue();
    }

    @Test
    void whileSkippingOneValueInThirtyTwoIsAProbe() {
        AdaptiveSkip skip = new AdaptiveSkip();
        feed(skip, WINDOW, 200, 200);
        for (int i = 1; i <= 3 * PROBE_EVERY; i++) {
            boolean probe = skip.shouldAttempt(200);
            assertThat(probe).as("value %d after the switch", i).isEqualTo(i % PROBE_EVERY == 0);
            if (probe) {
                skip.attempted(200, 200);
            }
        }
        assertThat(feed(skip, 1000, 300, 300)).as("another class still attempts its first window").isGreaterThanOrEqualTo(WINDOW);
    }

    @Test
    void attemptsResumeOnceAWindowOfProbesSavesEnough() {
        AdaptiveSkip skip = new AdaptiveSkip();
        feed(skip, WINDOW, 200, 200);
        assertThat(feed(skip, PROBE_EVERY * (PROBE_WINDOW - 1), 200, 100)).isEqualTo(PROBE_WINDOW - 1);
        assertThat(skip.isSkipping(200)).as("seven good probes are not yet a window").isTrue();
        assertThat(feed(skip, PROBE_EVERY, 200, 100)).isEqualTo(1);
        assertThat(skip.isSkipping(200)).isFalse();
        assertThat(feed(skip, 10, 200, 100)).isEqualTo(10);
    }

    @Test
    void aProbeWindowThatSavesTooLittleKeepsSkipping() {
        AdaptiveSkip skip = new AdaptiveSkip();
        feed(skip, WINDOW, 200, 200);
        assertThat(feed(skip, PROBE_EVERY * PROBE_WINDOW, 200, 199)).isEqualTo(PROBE_WINDOW);
        assertThat(skip.isSkipping(200)).isTrue();
        assertThat(feed(skip, PROBE_EVERY, 200, 199)).isEqualTo(1);
    }

    @Test
    void threePercentSavedIsEnoughAndLessIsNot() {
        // 64 values of 100 bytes take in 6400 bytes: 3% is 192 saved bytes, 3 per value
        AdaptiveSkip enough = new AdaptiveSkip();
        feed(enough, WINDOW, 100, 97);
        assertThat(enough.isSkipping(100)).isFalse();

        AdaptiveSkip short1 = new AdaptiveSkip();
        feed(short1, WINDOW - 1, 100, 97);
        feed(short1, 1, 100, 98); // 191 saved
        assertThat(short1.isSkipping(100)).isTrue();

        // savings are bytes, not values: one value that halves outweighs 63 that did not shrink
        AdaptiveSkip bytes = new AdaptiveSkip();
        feed(bytes, WINDOW - 1, 100, 100);
        feed(bytes, 1, 100, 50);
        assertThat(bytes.isSkipping(100)).isTrue(); // 50 of 6400 is below 3%
        AdaptiveSkip bytes2 = new AdaptiveSkip();
        feed(bytes2, WINDOW - 4, 100, 100);
        feed(bytes2, 4, 100, 50);
        assertThat(bytes2.isSkipping(100)).isFalse(); // 200 of 6400 is 3.1%
    }

    @Test
    void windowsStartAfresh() {
        AdaptiveSkip skip = new AdaptiveSkip();
        feed(skip, WINDOW, 100, 50); // a good window
        feed(skip, WINDOW, 100, 100); // then nothing saved: the good one does not carry over
        assertThat(skip.isSkipping(100)).isTrue();
    }

    @Test
    void emptyValuesAreNeverSkipped() {
        AdaptiveSkip skip = new AdaptiveSkip();
        assertThat(feed(skip, 10 * WINDOW, 0, -1)).isEqualTo(10 * WINDOW);
    }
}
