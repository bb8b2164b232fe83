package example.greeting;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.commons.lang3.StringUtils;

/** Builds the greeting the server answers with. */
public final class Greeting {
    private Greeting() {}

    /** "hello from " and who, every word capitalized. */
    public static String of(String who) {
        String text = "hello from " + StringUtils.defaultIfBlank(who, "the multimodule build");
        return Arrays.stream(StringUtils.split(text))
                .map(StringUtils::capitalize)
                .collect(Collectors.joining(" "));
    }
}
