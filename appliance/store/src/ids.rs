//! The typed ids of the station's two most-passed-around rows, officers and appointments, so a
//! call such as `admit(officer, appointment)` cannot take its arguments in the wrong order.
//!
//! They live here rather than in `vappoint-domain` because the rusqlite conversions must sit
//! beside the type (orphan rule) and only this crate may import rusqlite; every id is read from
//! the database anyway. `serde(transparent)` keeps JSON, templates and path segments exactly as
//! they were with a bare `i64`.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }
    };
}

id!(
    /// `officers.id`.
    OfficerId
);
id!(
    /// `appointments.id`.
    AppointmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_their_number() {
        assert_eq!(serde_json::to_string(&OfficerId(7)).unwrap(), "7");
        assert_eq!(
            serde_json::from_str::<AppointmentId>("42").unwrap(),
            AppointmentId(42)
        );
        assert_eq!(OfficerId(7).to_string(), "7");
        assert_eq!("12".parse::<AppointmentId>(), Ok(AppointmentId(12)));
        assert!("x".parse::<OfficerId>().is_err());
    }
}
