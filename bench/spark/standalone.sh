#!/usr/bin/env bash
# Spark standalone on loopback, from the Spark jars in ~/.m2 (no Spark distribution): a master and
# two workers of one core each, then the Fashion-MNIST MLP (samples/fashion-mnist-mlp.json)
# trained by clgrad-spark (dev.clgrad.spark.TrainOnSpark) on two barrier tasks with gradient
# exchange every step and a checkpoint every EVERY steps. Mid-epoch (once LATEST names a checkpoint
# of epoch KILL_EPOCH), it kills worker 2's executor JVM by pid (kill -9); Spark fails the barrier
# stage, the master starts a new executor, the stage is retried and both tasks resume from the
# last checkpoint. Prints the driver's output, the executors' resume lines and where the logs are.
#
# The workers launch executors with SPARK_HOME's launcher: SPARK_HOME here is a folder with a
# RELEASE file and jars/ holding links to the jars of clgrad-spark's classpath (Spark's included),
# which is what the launcher reads from a distribution; SPARK_SCALA_VERSION tells it the Scala.
#
# Usage: bench/spark/standalone.sh    (env: ROWS=12000 EPOCHS=3 EVERY=20 KILL_EPOCH=2 WORK=dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=${ROWS:-12000}
EPOCHS=${EPOCHS:-3}
EVERY=${EVERY:-20}
KILL_EPOCH=${KILL_EPOCH:-2}
WORK=${WORK:-$(mktemp -d /tmp/clgrad-spark-standalone.XXXXXX)}
MASTER_PORT=${MASTER_PORT:-7177}
mkdir -p "$WORK"
cd "$ROOT"

echo "== build (offline) and classpath"
nice mvn -o -q -B -pl clgrad-spark -am install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
nice mvn -o -q -B -pl clgrad-spark dependency:build-classpath -Dmdep.includeScope=compile \
    -Dmdep.outputFile="$WORK/classpath.txt"
export SPARK_HOME="$WORK/spark-home"
rm -rf "$SPARK_HOME" && mkdir -p "$SPARK_HOME/jars"
touch "$SPARK_HOME/RELEASE"
tr ':' '\n' < "$WORK/classpath.txt" | while read -r jar; do ln -sf "$jar" "$SPARK_HOME/jars/"; done
ln -sf "$ROOT"/clgrad-spark/target/clgrad-spark-*.jar "$SPARK_HOME/jars/"
export SPARK_SCALA_VERSION=2.13
echo "SPARK_HOME=$SPARK_HOME: $(ls "$SPARK_HOME/jars" | wc -l) jars"

# Spark's own list of JDK 17 module options (JavaModuleOptions), for the JVMs started here.
OPENS="-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector"
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  OPENS="$OPENS --add-opens=java.base/$p=ALL-UNNAMED"
done
OPENS="$OPENS -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true"
CP="$SPARK_HOME/jars/*"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "== master and two workers on 127.0.0.1"
java -Xmx512m $OPENS -cp "$CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" \
    --webui-port 0 > "$WORK/master.log" 2>&1 &
PIDS+=($!)
MASTER_PID=$!
for i in $(seq 1 60); do grep -q "I have been elected leader" "$WORK/master.log" && break; sleep 1; done
grep -q "I have been elected leader" "$WORK/master.log" || { echo "master did not start:"; tail "$WORK/master.log"; exit 1; }
WORKER_PIDS=()
for w in 1 2; do
  SPARK_WORKER_DIR="$WORK/worker$w" java -Xmx512m $OPENS -cp "$CP" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory 2g --webui-port 0 --work-dir "$WORK/worker$w" \
      "spark://127.0.0.1:$MASTER_PORT" > "$WORK/worker$w.log" 2>&1 &
  PIDS+=($!)
  WORKER_PIDS+=($!)
done
for i in $(seq 1 60); do [ "$(grep -c "Registering worker" "$WORK/master.log")" -ge 2 ] && break; sleep 1; done
echo "master pid $MASTER_PID, worker pids ${WORKER_PIDS[*]}; $(grep -c "Registering worker" "$WORK/master.log") workers registered"

echo "== driver: $ROWS rows, $EPOCHS epochs, checkpoint every $EVERY steps to file:$WORK/checkpoints"
STEPS=$(( (ROWS + 127) / 128 ))
java -Xmx2g $OPENS -cp "$CP" -Dspark.driver.host=127.0.0.1 -Dspark.ui.enabled=false -Dspark.cores.max=2 \
    -Dspark.executor.cores=1 -Dspark.executor.memory=1500m \
    -Dspark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector \
    dev.clgrad.spark.TrainOnSpark samples/fashion-mnist-mlp.json \
    --master "spark://127.0.0.1:$MASTER_PORT" --tasks 2 --device java --rows "$ROWS" --epochs "$EPOCHS" \
    --checkpoints "file:$WORK/checkpoints" --every "$EVERY" > "$WORK/driver.out" 2> "$WORK/driver.log" &
DRIVER_PID=$!
PIDS+=($DRIVER_PID)

# Kill worker 2's executor once the newest checkpoint lies inside epoch KILL_EPOCH, between two checkpoints.
KILL_AFTER=$(( (KILL_EPOCH - 1) * STEPS + EVERY ))
killed=""
while kill -0 "$DRIVER_PID" 2>/dev/null; do
  latest=$(cat "$WORK/checkpoints/LATEST" 2>/dev/null || true)
  step=0
  [ -n "$latest" ] && step=$((10#${latest#step-}))
  if [ -z "$killed" ] && [ -n "$latest" ] && [ "$step" -ge "$KILL_AFTER" ]; then
    sleep 1
    exec_pid=$(pgrep -P "${WORKER_PIDS[1]}" java | head -1 || true)
    if [ -n "$exec_pid" ]; then
      echo "$(date +%T) newest checkpoint $(cat "$WORK/checkpoints/LATEST") (epoch $KILL_EPOCH of $STEPS steps each):" \
           "kill -9 $exec_pid (worker 2's executor JVM)"
      kill -9 "$exec_pid"
      killed=$exec_pid
    fi
  fi
  sleep 0.5
done
wait "$DRIVER_PID" && rc=0 || rc=$?

echo "== driver output (exit $rc)"
cat "$WORK/driver.out"
echo "== executors: resumes and epochs (their stderr)"
for f in "$WORK"/worker*/app-*/*/stderr; do
  grep -h -E "clgrad-spark (task|epoch)" "$f" | sed "s|^|  ${f#$WORK/}: |" | cut -c1-240 || true
done
echo "== scheduler: the failure and the retry (driver log)"
grep -E "Lost executor|Lost task|as failed due to a barrier task|Resubmitting" "$WORK/driver.log" | cut -c1-220 | head -8 || true
echo "logs: $WORK"
exit "$rc"
