package dev.clgrad.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.optim.Sgd;
import dev.clgrad.train.ReduceLROnPlateau;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The optimizer and callbacks sections of a config: schedules for learningRate and momentum, the
 * new rules and clipping keys, errors naming the key, and a model.json round trip of the
 * optimizer's config.
 */
class OptimizerConfigTest {
    private static final String DATA = "\"data\": {\"type\": \"random-normal\", \"train\": 10, \"features\": 3}";

    @TempDir
    Path dir;

    private static String json(String optimizer, String extra) {
        return "{\"layers\": [{\"type\": \"dense\", \"units\": 2}], \"loss\": \"mse\", \"optimizer\": " + optimizer
                + extra + ", " + DATA + "}";
    }

    private static ModelConfig parse(String optimizer, String extra) throws ConfigException {
        return ModelConfig.parse(json(optimizer, extra), "m.json", Path.of("."));
    }

    private static String error(String optimizer, String extra) {
        return assertThrows(ConfigException.class, () -> parse(optimizer, extra)).getMessage();
    }

    @Test
    void schedulesRulesAndClippingParse() throws Exception {
        ModelConfig c = parse("{\"type\": \"sgd\", \"learningRate\": {\"type\": \"exponential_decay\", "
                + "\"initialLearningRate\": 0.1, \"decaySteps\": 100, \"decayRate\": 0.96}, \"momentum\": {\"type\": "
                + "\"linear_ramp\", \"initial\": 0.5, \"final\": 0.99, \"steps\": 500}, \"nesterov\": true, "
                + "\"globalClipnorm\": 1.0}", ", \"callbacks\": [{\"type\": \"reduce_lr_on_plateau\", \"patience\": 3}]");
        try (Optimizer o = c.optimizer().create()) {
            assertEquals("{\"type\":\"sgd\",\"learningRate\":{\"type\":\"exponential_decay\",\"initialLearningRate\":0.1,"
                    + "\"decaySteps\":100,\"decayRate\":0.96,\"staircase\":false},\"momentum\":{\"type\":\"linear_ramp\","
                    + "\"initial\":0.5,\"final\":0.99,\"steps\":500},\"nesterov\":true,\"weightDecay\":0.0,"
                    + "\"globalClipnorm\":1.0}", new ObjectMapper().writeValueAsString(o.config()));
        }
        assertInstanceOf(ReduceLROnPlateau.class, c.callbacks().get(0).get());
        assertEquals(0.125, parse("{\"type\": \"rmsprop\", \"lr\": 0.125, \"centered\": true}", "").optimizer().lr());
        try (Optimizer o = parse("{\"type\": \"adagrad\", \"clipvalue\": 0.5}", "").optimizer().create()) {
            assertEquals("{type=adagrad, learningRate=0.001, initialAccumulatorValue=0.1, epsilon=1.0E-7, clipvalue=0.5}",
                    o.config().toString());
        }
    }

    @Test
    void errorsNameTheKey() {
        assertEquals("m.json: $.optimizer.learningRate.decaySteps: missing; expected an integer",
                error("{\"type\": \"sgd\", \"learningRate\": {\"type\": \"exponential_decay\", \"initialLearningRate\": 0.1,"
                        + " \"decayRate\": 0.5}}", ""));
        assertEquals("m.json: $.optimizer.learningRate.type: unknown schedule 'step'; expected one of [cosine_decay, "
                + "exponential_decay, inverse_time_decay, linear_ramp, piecewise_constant_decay]",
                error("{\"type\": \"sgd\", \"learningRate\": {\"type\": \"step\"}}", ""));
        assertEquals("m.json: $.optimizer.learningRate: piecewise_constant_decay: values must hold one more entry than "
                + "boundaries, got 1 values for 1 boundaries", error("{\"type\": \"adam\", \"learningRate\": {\"type\": "
                + "\"piecewise_constant_decay\", \"boundaries\": [10], \"values\": [0.1]}}", ""));
        assertEquals("m.json: $.optimizer.rho: adam takes no rho; rmsprop take it",
                error("{\"type\": \"adam\", \"rho\": 0.9}", ""));
        assertEquals("m.json: $.optimizer.momentum: rmsprop supports momentum 0 only, got 0.9",
                error("{\"type\": \"rmsprop\", \"momentum\": 0.9}", ""));
        assertEquals("m.json: $.optimizer.clipvalue: clipping: only one of clipvalue, clipnorm and globalClipnorm may be "
                + "set, got clipvalue 1.0, clipnorm 1.0, globalClipnorm 0.0",
                error("{\"type\": \"sgd\", \"clipvalue\": 1, \"clipnorm\": 1}", ""));
        assertEquals("m.json: $.optimizer: sgd: nesterov needs a momentum > 0, got momentum 0",
                error("{\"type\": \"sgd\", \"nesterov\": true}", ""));
        assertEquals("m.json: $.callbacks[0].type: unknown callback 'early'; expected one of [learning_rate_scheduler, "
                + "reduce_lr_on_plateau]", error("\"sgd\"", ", \"callbacks\": [{\"type\": \"early\"}]"));
        assertEquals("m.json: $.callbacks[0].mode: ReduceLROnPlateau: mode must be min, max or auto, got 'down'",
                error("\"sgd\"", ", \"callbacks\": [{\"type\": \"reduce_lr_on_plateau\", \"mode\": \"down\"}]"));
    }

    @Test
    void theOptimizerConfigRoundTripsThroughModelJson() throws Exception {
        Sgd sgd = new Sgd(0.05, 0.5, 0.001).withNesterov(true);
        sgd.withLearningRate(new dev.clgrad.optim.CosineDecay(0.0, 100, 0.1, 0.1, 10));
        sgd.withClipping(dev.clgrad.optim.Clipping.norm(2));
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(new dev.clgrad.nn.Dense(2)).compile(sgd, new dev.clgrad.nn.MSE()).build(3);
            m.save(dir);
            try (Sequential back = Sequential.load(dir, TestBackends.java())) {
                assertEquals(sgd.config(), back.optimizer().config());
            }
        }
    }
}
