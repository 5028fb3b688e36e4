//! Import name → PyPI distribution.
//!
//! `No module named 'cv2'` names an *import* name; pip installs *distributions*. The two differ for many
//! popular packages, and installing the import name can pull a squatted or malicious project (the
//! `sklearn` distribution exists only to stop that). So the mapping is explicit: the user's
//! `[fixes] package_map` first, then the built-in table of well-known mismatches (from pipreqs' mapping
//! file plus a few it lacks), else the top-level import name itself. The result is still only a
//! *proposal*: the policy's allow-list decides whether anything is installed.

use std::collections::BTreeMap;

/// Well-known import names whose distribution has another name. Keys are top-level import names
/// (case-sensitive, as Python imports are).
const BUILTIN: &[(&str, &str)] = &[
    // The list.
    ("cv2", "opencv-python"),
    ("yaml", "PyYAML"),
    ("PIL", "Pillow"),
    ("sklearn", "scikit-learn"),
    ("bs4", "beautifulsoup4"),
    ("dotenv", "python-dotenv"),
    // pipreqs' mapping (render-facts §9.1); stale targets replaced by today's maintained names.
    ("dateutil", "python-dateutil"),
    ("jwt", "PyJWT"),
    ("git", "GitPython"),
    ("github", "PyGithub"),
    ("serial", "pyserial"),
    ("usb", "pyusb"),
    ("zmq", "pyzmq"),
    ("magic", "python-magic"),
    ("Crypto", "pycryptodome"),
    ("Cryptodome", "pycryptodomex"),
    ("OpenSSL", "pyOpenSSL"),
    ("googleapiclient", "google-api-python-client"),
    ("telegram", "python-telegram-bot"),
    ("telebot", "pyTelegramBotAPI"),
    ("discord", "discord.py"),
    ("dns", "dnspython"),
    ("websocket", "websocket-client"),
    ("socketio", "python-socketio"),
    ("engineio", "python-engineio"),
    ("decouple", "python-decouple"),
    ("rest_framework", "djangorestframework"),
    ("airflow", "apache-airflow"),
    ("hydra", "hydra-core"),
    ("skbio", "scikit-bio"),
    ("pythonjsonlogger", "python-json-logger"),
    ("frontmatter", "python-frontmatter"),
    ("ldap", "python-ldap"),
    ("memcache", "python-memcached"),
    ("slugify", "python-slugify"),
    ("MySQLdb", "mysqlclient"),
    ("docker", "docker"),
    ("google", "protobuf"),
    // Well-known mismatches missing from pipreqs' snapshot.
    ("attr", "attrs"),
    ("skimage", "scikit-image"),
    ("fitz", "PyMuPDF"),
    ("Bio", "biopython"),
    ("psycopg2", "psycopg2-binary"),
];

/// PEP 503 normalised form: runs of `-`, `_`, `.` become one `-`, lower-cased. Two names with the same
/// normalised form are the same project.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// Whether `name` is a valid PEP 508 distribution name: ASCII letters/digits, with `-`, `_`, `.` allowed
/// only between them. Anything else (spaces, `;`, `/`, `==`, a leading `-`) is refused before it could
/// reach an installer's argv as an option or URL.
pub fn is_valid_distribution_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    // No real distribution name comes close; a longer "name" is log noise or an attack.
    bytes.len() <= 200
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A top-level import name (`yaml`, `_ssl`): an identifier, no dots. Only such a name can be checked
/// with an interpreter, found under an agent's directory, or mapped to a distribution.
pub fn is_top_level_import(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The distribution proposed for an import name. `module` may be dotted (`google.cloud.storage`): the
/// user's map is asked for the full name first (so namespace packages can be told apart), then the
/// top-level name is looked up in the user's map and the built-in table; otherwise the top-level name
/// itself is proposed.
pub fn distribution_for(module: &str, extra: &BTreeMap<String, String>) -> String {
    if let Some(dist) = extra.get(module) {
        return dist.clone();
    }
    let top = module.split('.').next().unwrap_or(module);
    if let Some(dist) = extra.get(top) {
        return dist.clone();
    }
    BUILTIN
        .iter()
        .find(|(import, _)| *import == top)
        .map_or_else(|| top.to_string(), |(_, dist)| (*dist).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_mismatches_map_to_their_distribution() {
        let none = BTreeMap::new();
        for (module, dist) in [
            ("cv2", "opencv-python"),
            ("yaml", "PyYAML"),
            ("PIL", "Pillow"),
            ("sklearn", "scikit-learn"),
            ("bs4", "beautifulsoup4"),
            ("dotenv", "python-dotenv"),
            ("attr", "attrs"),
            ("skimage", "scikit-image"),
            ("fitz", "PyMuPDF"),
            ("Bio", "biopython"),
            ("psycopg2", "psycopg2-binary"),
            ("jwt", "PyJWT"),
        ] {
            assert_eq!(distribution_for(module, &none), dist, "{module}");
        }
    }

    #[test]
    fn submodules_map_by_their_top_level_package() {
        let none = BTreeMap::new();
        assert_eq!(distribution_for("PIL.Image", &none), "Pillow");
        assert_eq!(distribution_for("requests.adapters", &none), "requests");
    }

    #[test]
    fn the_users_map_wins_and_may_name_a_full_dotted_module() {
        let mut extra = BTreeMap::new();
        extra.insert("yaml".to_string(), "ruamel.yaml".to_string());
        extra.insert(
            "google.cloud".to_string(),
            "google-cloud-storage".to_string(),
        );
        assert_eq!(distribution_for("yaml", &extra), "ruamel.yaml");
        assert_eq!(
            distribution_for("google.cloud", &extra),
            "google-cloud-storage"
        );
        assert_eq!(distribution_for("google.protobuf", &extra), "protobuf");
    }

    #[test]
    fn normalization_follows_pep_503() {
        assert_eq!(normalize("PyYAML"), "pyyaml");
        assert_eq!(normalize("scikit_learn"), "scikit-learn");
        assert_eq!(normalize("Foo.__Bar--baz"), "foo-bar-baz");
    }

    #[test]
    fn distribution_names_that_could_smuggle_options_are_invalid() {
        for ok in ["PyYAML", "opencv-python", "zope.interface", "a", "x2"] {
            assert!(is_valid_distribution_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-e",
            "--index-url",
            "a b",
            "pkg==1.0",
            "git+https://x",
            "a;rm",
            "name.",
            "ünï",
            "x; rm -rf ~",
            "../x",
        ] {
            assert!(!is_valid_distribution_name(bad), "{bad}");
        }
        assert!(!is_valid_distribution_name(&"a".repeat(201)));
    }
}
