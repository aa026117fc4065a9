package dev.clgrad;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * The library's diagnostics: a {@link System.Logger} per class, named by the class
 * ({@code dev.clgrad.backend.opencl.ProgramCache}), at {@code WARNING} for what a user should act
 * on (a tensor never closed, an unusable cache entry or tuning file), {@code INFO} for choices
 * made for the user (which backend {@code auto} picked, and why), {@code DEBUG} for details.
 *
 * <p>Quiet by default: the library prints nothing unless the application's logging asks for it.
 * The JDK routes {@code System.Logger} to java.util.logging, whose built-in configuration prints
 * INFO and above to stderr, two lines a record; so while that built-in configuration is in force
 * (the JDK's own logger finder, neither {@code java.util.logging.config.file} nor
 * {@code java.util.logging.config.class} given, no level set for {@code dev.clgrad}) the
 * {@code dev.clgrad} logger is turned off. An application shows clgrad's records by any of:
 * <ul>
 *   <li>a logging configuration of its own ({@code -Djava.util.logging.config.file=F}; its
 *       levels rule, e.g. {@code dev.clgrad.level = WARNING});</li>
 *   <li>a level set in code, {@code Logger.getLogger("dev.clgrad").setLevel(Level.INFO)}, as
 *       {@code clgrad}'s command line does ({@code cli.Main});</li>
 *   <li>another {@code System.LoggerFinder} (the SLF4J or Log4j bridge), whose configuration then
 *       rules alone.</li>
 * </ul>
 * Progress bars and results are output the caller asked for, not diagnostics (see
 * {@code Fit.withQuiet}).
 */
public final class Diagnostics {
    /** The logger above every clgrad logger, held so that its level stays (java.util.logging keeps loggers weakly). */
    private static final Logger LIBRARY = quietByDefault();

    private Diagnostics() {
    }

    /** The logger of {@code owner}'s diagnostics. */
    public static System.Logger logger(Class<?> owner) {
        return System.getLogger(owner.getName());
    }

    /** The {@code dev.clgrad} logger, turned off when the JDK's built-in logging configuration is in force. */
    private static Logger quietByDefault() {
        Logger library = Logger.getLogger("dev.clgrad");
        boolean builtIn = "java.logging".equals(System.LoggerFinder.getLoggerFinder().getClass().getModule().getName())
                && System.getProperty("java.util.logging.config.file") == null
                && System.getProperty("java.util.logging.config.class") == null
                && LogManager.getLogManager().getProperty("dev.clgrad.level") == null;
        if (builtIn && library.getLevel() == null) {
            library.setLevel(Level.OFF);
        }
        return library;
    }
}
