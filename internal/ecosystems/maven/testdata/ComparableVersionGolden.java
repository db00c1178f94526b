// Regenerates comparableversion.golden from the Maven installed on the machine:
//   javac -cp /usr/share/maven/lib/maven-artifact-3.x.jar ComparableVersionGolden.java
//   java -cp /usr/share/maven/lib/maven-artifact-3.x.jar:. ComparableVersionGolden versions.txt > comparableversion.golden
// where versions.txt is the first column of comparableversion.golden.
import org.apache.maven.artifact.versioning.ComparableVersion;
import java.nio.file.*;
import java.util.*;
public class ComparableVersionGolden {
  public static void main(String[] a) throws Exception {
    List<String> vs = Files.readAllLines(Paths.get(a[0]));
    StringBuilder sb = new StringBuilder();
    for (String v : vs) sb.append(v).append('\t').append(new ComparableVersion(v).getCanonical()).append('\n');
    sb.append("--\n");
    for (int i = 0; i < vs.size(); i++) {
      for (int j = 0; j < vs.size(); j++) {
        int c = new ComparableVersion(vs.get(i)).compareTo(new ComparableVersion(vs.get(j)));
        sb.append(c < 0 ? '<' : c > 0 ? '>' : '=');
      }
      sb.append('\n');
    }
    System.out.print(sb);
  }
}
