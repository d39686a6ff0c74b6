//! `huifang-origin staff add`: creates a staff account (the first one, an admin or a supervisor,
//! included). The password is read from `HUIFANG_STAFF_PASSWORD` or the first line of stdin, never
//! from the command line (arguments show in `ps` and shell history).

use crate::archive::sqlite::SqliteArchive;
use crate::console::accounts::{
    hash_password, is_staff_id, parse_role, StaffAccount, StaffStore, MIN_PASSWORD_CHARS,
};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

/// The variable `staff add` reads the password from, when set.
pub const PASSWORD_VAR: &str = "HUIFANG_STAFF_PASSWORD";

const USAGE: &str = "\
usage: huifang-origin staff add --db PATH --id STAFF_ID --role ROLE [--name NAME] [--seller-code CODE]
  ROLE: call_agent, branch_handler, reviewer, supervisor, auditor, admin
  the password (at least 10 characters) is read from HUIFANG_STAFF_PASSWORD, else from the first
  line of stdin; never give it as an argument";

/// What `staff add` was asked to do.
#[derive(Debug, Default, PartialEq, Eq)]
struct AddStaff {
    db: Option<PathBuf>,
    id: Option<String>,
    role: Option<String>,
    name: Option<String>,
    seller_code: Option<String>,
}

fn parse(args: &[String]) -> Result<AddStaff, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("staff needs a subcommand".into());
    };
    if command != "add" {
        return Err(format!("unknown staff subcommand {command}"));
    }
    let mut out = AddStaff::default();
    let mut args = rest.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--db" => out.db = Some(PathBuf::from(value()?)),
            "--id" => out.id = Some(value()?),
            "--role" => out.role = Some(value()?),
            "--name" => out.name = Some(value()?),
            "--seller-code" => out.seller_code = Some(value()?),
            "--password" => return Err("never give the password as an argument: set HUIFANG_STAFF_PASSWORD or pipe it on stdin".into()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(out)
}

/// `huifang-origin staff …`: exit 0 when the account was created, 1 when it could not be, 2 on a
/// usage error.
pub fn staff_cli(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let usage = |message: &str| {
        eprintln!("staff: {message}\n{USAGE}");
        ExitCode::from(2)
    };
    let add = match parse(args) {
        Ok(add) => add,
        Err(message) => return usage(&message),
    };
    let (Some(db), Some(id), Some(role)) = (add.db, add.id, add.role) else {
        return usage("--db, --id and --role are required");
    };
    if !is_staff_id(&id) {
        return usage("--id must be 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    let Some(role) = parse_role(&role) else {
        return usage(
            "--role must be call_agent, branch_handler, reviewer, supervisor, auditor or admin",
        );
    };
    if add.seller_code.as_deref().is_some_and(|c| !is_staff_id(c)) {
        return usage("--seller-code must be 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    let password = match std::env::var(PASSWORD_VAR) {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).is_err() {
                return usage("cannot read the password from stdin");
            }
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return usage(&format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    let fail = |message: String| {
        eprintln!("staff: {message}");
        ExitCode::from(1)
    };
    let password_hash = match hash_password(&password) {
        Ok(h) => h,
        Err(e) => return fail(e.to_string()),
    };
    let store = match SqliteArchive::open(&db) {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot open {}: {e}", db.display())),
    };
    let account = StaffAccount {
        display_name: add.name.unwrap_or_else(|| id.clone()),
        staff_id: id.clone(),
        role,
        seller_code: add.seller_code,
        password_hash,
    };
    match store.add_staff(&account, crate::clock::system_clock()) {
        Ok(true) => {
            println!("staff account {id} created");
            ExitCode::SUCCESS
        }
        Ok(false) => fail(format!(
            "a staff account {id} exists already; nothing changed"
        )),
        Err(e) => fail(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_password_is_never_an_argument() {
        let parsed = parse(&args(&["add", "--db", "x", "--id", "a", "--role", "admin"])).unwrap();
        assert_eq!(parsed.id.as_deref(), Some("a"));
        assert!(parse(&args(&["add", "--password", "secret"])).is_err());
        assert!(parse(&args(&["remove"])).is_err());
        assert!(parse(&args(&["add", "--db"])).is_err());
    }
}
