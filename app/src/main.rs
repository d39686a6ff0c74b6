//! Entry point of the browser app: mounts [`app::App`] and nothing else.

fn main() {
    app::mount();
}
