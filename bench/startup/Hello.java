import java.nio.file.Files;
import java.nio.file.Path;

/** The application whose start-up is timed: starts, reads one file (a governed call), exits. */
public class Hello {
    public static void main(String[] args) throws Exception {
        System.out.println("hello " + Files.readString(Path.of(args[0])).length());
    }
}
