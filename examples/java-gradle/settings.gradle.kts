rootProject.name = "java-gradle"
