// The plain Java application of examples/java-maven, built with Gradle
// (Kotlin DSL): the application plugin, a Java 21 toolchain, and the same
// dependencies from Maven Central (slf4j-simple only at run time).
plugins {
    application
}

group = "example"
version = "1.0.0"

val appMainClass = "example.hello.Main"

java {
    toolchain {
        languageVersion = JavaLanguageVersion.of(21)
    }
}

repositories {
    mavenCentral()
}

dependencies {
    implementation("com.google.code.gson:gson:2.15.0")
    implementation("org.slf4j:slf4j-api:2.0.20")
    runtimeOnly("org.slf4j:slf4j-simple:2.0.20")
}

application {
    mainClass = appMainClass
}

// Main-Class in the jar's manifest too, so the jar names its entry point.
tasks.jar {
    manifest {
        attributes("Main-Class" to appMainClass)
    }
}

// Reproducible archives: no file timestamps, a fixed entry order.
tasks.withType<AbstractArchiveTask>().configureEach {
    isPreserveFileTimestamps = false
    isReproducibleFileOrder = true
}
