# Maven e2e tests: mvn 3.8 (Debian's maven) and a JDK to compile the test
# projects. Plugins come from the default central repository.
if ! need javac; then
  apt_install default-jdk-headless
fi
if ! need mvn; then
  apt_install maven
fi
