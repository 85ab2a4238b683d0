package dev.agt.config;

/** One thing wrong with a file, placed where a person can find it. */
public record Problem(Source.Pos pos, String message) implements Comparable<Problem> {

    @Override
    public String toString() {
        return pos + ": " + message;
    }

    @Override
    public int compareTo(Problem o) {
        int c = pos.compareTo(o.pos);
        return c == 0 ? message.compareTo(o.message) : c;
    }
}
