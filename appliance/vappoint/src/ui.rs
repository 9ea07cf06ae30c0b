//! What people see: the embedded `web/` folder (templates, styles, translations), the
//! Fluent bundles for English, Marathi and Hindi, and the template environment.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use rust_embed::RustEmbed;
use unic_langid::LanguageIdentifier;

/// Everything under `web/`, compiled into the binary.
#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web"]
#[exclude = "*.md"]
pub struct Web;

/// The languages of the pages (citizens' and the officer console's), in the order the
/// switch shows them.
pub const LANGS: &[(&str, &str)] = &[("en", "English"), ("mr", "मराठी"), ("hi", "हिन्दी")];

pub fn known_lang(code: &str) -> Option<&'static str> {
    LANGS.iter().map(|(c, _)| *c).find(|c| *c == code)
}

pub struct I18n {
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
}

impl I18n {
    pub fn load() -> anyhow::Result<I18n> {
        let mut bundles = HashMap::new();
        for (code, _) in LANGS {
            let path = format!("locales/{code}/main.ftl");
            let file = Web::get(&path).with_context(|| format!("web/{path} is missing"))?;
            let text = String::from_utf8(file.data.into_owned())
                .with_context(|| format!("web/{path} is not UTF-8"))?;
            let res = FluentResource::try_new(text)
                .map_err(|(_, errs)| anyhow::anyhow!("web/{path} has syntax errors: {errs:?}"))?;
            let lang: LanguageIdentifier = code.parse().expect("known language tags parse");
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // No Unicode isolation marks: they would show up in mail subjects and plain text.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|errs| anyhow::anyhow!("web/{path} defines a message twice: {errs:?}"))?;
            bundles.insert(*code, bundle);
        }
        Ok(I18n { bundles })
    }

    /// The message `id` in `lang`, falling back to English, then to the id itself (so a
    /// missing translation shows up as a readable key, never as a crash).
    pub fn t(&self, lang: &str, id: &str, args: Option<&FluentArgs>) -> String {
        for l in [lang, "en"] {
            let Some(bundle) = self.bundles.get(l) else {
                continue;
            };
            let Some(msg) = bundle.get_message(id) else {
                continue;
            };
            let Some(pattern) = msg.value() else { continue };
            let mut errors = Vec::new();
            let s = bundle.format_pattern(pattern, args, &mut errors);
            if errors.is_empty() {
                return s.into_owned();
            }
            tracing::warn!(id, lang = l, ?errors, "translation failed to format");
        }
        id.to_string()
    }

    #[cfg(test)]
    pub fn has(&self, lang: &str, id: &str) -> bool {
        self.bundles.get(lang).is_some_and(|b| b.has_message(id))
    }

    /// Message ids present in English but missing in `lang`.
    #[cfg(test)]
    pub fn missing(&self, lang: &str) -> Vec<String> {
        let en = Web::get("locales/en/main.ftl")
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .unwrap_or_default();
        let res = FluentResource::try_new(en).unwrap_or_else(|(r, _)| r);
        res.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .filter(|id| !self.has(lang, id))
            .collect()
    }
}

fn chrono_locale(lang: &str) -> chrono::Locale {
    match lang {
        "mr" => chrono::Locale::mr_IN,
        "hi" => chrono::Locale::hi_IN,
        _ => chrono::Locale::en_IN,
    }
}

/// "Monday, 30 November 2026" in the language of the page.
pub fn fmt_date(t: DateTime<Utc>, tz: Tz, lang: &str) -> String {
    t.with_timezone(&tz)
        .format_localized("%A, %-d %B %Y", chrono_locale(lang))
        .to_string()
}

/// "11:05 IST": always the station's local time with its zone, never UTC.
pub fn fmt_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M %Z").to_string()
}

/// RFC 3339 with the station's offset, as the API gives times.
pub fn rfc3339(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

pub struct Ui {
    pub i18n: Arc<I18n>,
    pub env: Environment<'static>,
}

impl Ui {
    pub fn load() -> anyhow::Result<Ui> {
        let i18n = Arc::new(I18n::load()?);
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        // Autoescape HTML templates; plain-text mail templates are not escaped.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        for name in Web::iter().filter(|n| n.starts_with("templates/")) {
            let file = Web::get(&name).expect("listed file exists");
            let text = String::from_utf8(file.data.into_owned())
                .with_context(|| format!("web/{name} is not UTF-8"))?;
            let short = name.trim_start_matches("templates/").to_string();
            env.add_template_owned(short, text)
                .with_context(|| format!("web/{name} has a template error"))?;
        }
        let tr = i18n.clone();
        env.add_function(
            "t",
            move |state: &State, id: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let lang = state
                    .lookup("lang")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "en".into());
                let mut args = FluentArgs::new();
                for key in kwargs.args() {
                    let v: Value = kwargs.get(key)?;
                    if let Some(n) = v.as_i64() {
                        args.set(key.to_string(), FluentValue::from(n));
                    } else {
                        args.set(key.to_string(), FluentValue::from(v.to_string()));
                    }
                }
                Ok(tr.t(&lang, id, Some(&args)))
            },
        );
        Ok(Ui { i18n, env })
    }

    pub fn render(&self, name: &str, ctx: Value) -> anyhow::Result<String> {
        let tmpl = self
            .env
            .get_template(name)
            .with_context(|| format!("template {name}"))?;
        tmpl.render(ctx)
            .with_context(|| format!("rendering {name}"))
    }
}

/// A reason category in English, for exports and the hub's reports.
pub fn category_label(c: vappoint_domain::ReasonCategory) -> &'static str {
    use vappoint_domain::ReasonCategory::*;
    match c {
        Complaint => "Complaint",
        FirFollowUp => "Follow-up on an FIR",
        LostArticle => "Lost article",
        DomesticViolence => "Domestic violence",
        CyberFraud => "Cyber fraud",
        Other => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message() {
        let i = I18n::load().unwrap();
        for (lang, _) in LANGS {
            assert_eq!(i.missing(lang), Vec::<String>::new(), "missing in {lang}");
        }
    }

    #[test]
    fn templates_compile() {
        let ui = Ui::load().unwrap();
        assert!(ui.env.templates().count() > 5);
    }

    #[test]
    fn dates_in_three_languages() {
        let t: DateTime<Utc> = "2026-11-30T05:30:00Z".parse().unwrap();
        let tz = chrono_tz::Asia::Kolkata;
        assert_eq!(fmt_date(t, tz, "en"), "Monday, 30 November 2026");
        assert_eq!(fmt_time(t, tz), "11:00 IST");
        assert!(
            fmt_date(t, tz, "mr").contains("नोव्हेंबर"),
            "{}",
            fmt_date(t, tz, "mr")
        );
        assert!(
            fmt_date(t, tz, "hi").contains("नवंबर"),
            "{}",
            fmt_date(t, tz, "hi")
        );
        assert_eq!(rfc3339(t, tz), "2026-11-30T11:00:00+05:30");
    }
}
