//! `rio lsp`: a language server over stdio (lsp-server, lsp-types).
//!
//! A thin shell over [`rio_lang::ide`]: it keeps the open documents (full
//! text sync), publishes the checker's diagnostics on every open and
//! change, and answers hover, go-to-definition and completion. Positions
//! are converted between LSP's UTF-16 line/character pairs and byte
//! offsets here. A request it does not know gets `MethodNotFound`; a
//! request about a document it does not have gets an empty answer.

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{Completion, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, Location, MarkupContent, MarkupKind, NumberOrString, OneOf, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};
use rio_lang::ast::Span;
use rio_lang::ide::{analyze, CompletionKind};
use std::collections::HashMap;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Serves one client on stdin/stdout until it shuts down.
pub fn run() -> Result<()> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// The server loop on any connection.
pub fn serve(connection: &Connection) -> Result<()> {
    let caps = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions::default()),
        ..ServerCapabilities::default()
    };
    connection.initialize(serde_json::to_value(caps)?)?;
    let mut docs: HashMap<String, (Uri, String)> = HashMap::new();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = answer(&docs, req);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(n) => {
                if let Some(uri) = update(&mut docs, n) {
                    publish(connection, &docs, &uri)?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// Applies a document notification; returns the document to re-check.
fn update(docs: &mut HashMap<String, (Uri, String)>, n: Notification) -> Option<Uri> {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let uri = p.text_document.uri;
            docs.insert(
                uri.as_str().to_string(),
                (uri.clone(), p.text_document.text),
            );
            Some(uri)
        }
        DidChangeTextDocument::METHOD => {
            let p: lsp_types::DidChangeTextDocumentParams =
                serde_json::from_value(n.params).ok()?;
            // Full sync: the last change is the whole text.
            let text = p.content_changes.into_iter().last()?.text;
            let uri = p.text_document.uri;
            docs.insert(uri.as_str().to_string(), (uri.clone(), text));
            Some(uri)
        }
        DidCloseTextDocument::METHOD => {
            let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            docs.remove(p.text_document.uri.as_str());
            Some(p.text_document.uri)
        }
        _ => None,
    }
}

/// Publishes the diagnostics of one document (none once it is closed).
fn publish(
    connection: &Connection,
    docs: &HashMap<String, (Uri, String)>,
    uri: &Uri,
) -> Result<()> {
    let diagnostics = match docs.get(uri.as_str()) {
        Some((_, text)) => analyze(text)
            .diagnostics
            .iter()
            .map(|d| to_lsp(text, uri, d))
            .collect(),
        None => Vec::new(),
    };
    let params = PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics,
        version: None,
    };
    connection
        .sender
        .send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        )))?;
    Ok(())
}

fn to_lsp(text: &str, uri: &Uri, d: &rio_lang::Diagnostic) -> Diagnostic {
    let mut message = format!("{}: {}", d.code.title(), d.message);
    if !d.label.message.is_empty() {
        message = format!("{message} ({})", d.label.message);
    }
    if !d.help.is_empty() {
        message = format!("{message}\nhelp: {}", d.help);
    }
    let related = d
        .secondary
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: range(text, l.span),
            },
            message: l.message.clone(),
        })
        .collect::<Vec<_>>();
    Diagnostic {
        range: range(text, d.label.span),
        severity: Some(if d.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("rio".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

/// Answers one request.
fn answer(docs: &HashMap<String, (Uri, String)>, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        HoverRequest::METHOD => serde_json::from_value::<lsp_types::HoverParams>(req.params)
            .and_then(|p| {
                let pos = p.text_document_position_params;
                let hover = docs
                    .get(pos.text_document.uri.as_str())
                    .and_then(|(_, text)| {
                        let (span, md) = analyze(text).hover(offset(text, pos.position))?;
                        Some(Hover {
                            contents: HoverContents::Markup(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: md,
                            }),
                            range: Some(range(text, span)),
                        })
                    });
                serde_json::to_value(hover)
            }),
        GotoDefinition::METHOD => {
            serde_json::from_value::<lsp_types::GotoDefinitionParams>(req.params).and_then(|p| {
                let pos = p.text_document_position_params;
                let def = docs
                    .get(pos.text_document.uri.as_str())
                    .and_then(|(uri, text)| {
                        let span = analyze(text).definition(offset(text, pos.position))?;
                        Some(GotoDefinitionResponse::Scalar(Location {
                            uri: uri.clone(),
                            range: range(text, span),
                        }))
                    });
                serde_json::to_value(def)
            })
        }
        Completion::METHOD => serde_json::from_value::<lsp_types::CompletionParams>(req.params)
            .and_then(|p| {
                let pos = p.text_document_position;
                let items: Vec<CompletionItem> = docs
                    .get(pos.text_document.uri.as_str())
                    .map(|(_, text)| {
                        analyze(text)
                            .completions(offset(text, pos.position))
                            .into_iter()
                            .map(|c| CompletionItem {
                                label: c.label,
                                kind: Some(match c.kind {
                                    CompletionKind::Line => CompletionItemKind::VARIABLE,
                                    CompletionKind::Function => CompletionItemKind::FUNCTION,
                                    CompletionKind::Component => CompletionItemKind::CLASS,
                                    CompletionKind::Builtin => CompletionItemKind::KEYWORD,
                                }),
                                detail: (!c.detail.is_empty()).then_some(c.detail),
                                ..CompletionItem::default()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                serde_json::to_value(items)
            }),
        _ => {
            return Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("rio lsp does not handle `{}`", req.method),
            )
        }
    };
    match result {
        Ok(value) => Response::new_ok(id, value),
        Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
    }
}

/// The byte offset of an LSP position (UTF-16 columns), clamped to the
/// text.
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text.get(line_start..).and_then(|t| t.find('\n')) {
            Some(k) => line_start += k + 1,
            None => return text.len(),
        }
    }
    let line = text.get(line_start..).unwrap_or_default();
    let line = line.split('\n').next().unwrap_or_default();
    let mut units = 0u32;
    for (k, c) in line.char_indices() {
        if units >= pos.character {
            return line_start + k;
        }
        units += u32::try_from(c.len_utf16()).unwrap_or(1);
    }
    line_start + line.len()
}

/// The LSP position (UTF-16 columns) of a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count();
    let col_start = before.rfind('\n').map_or(0, |k| k + 1);
    let character: usize = before
        .get(col_start..)
        .unwrap_or_default()
        .chars()
        .map(char::len_utf16)
        .sum();
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        character: u32::try_from(character).unwrap_or(u32::MAX),
    }
}

fn range(text: &str, span: Span) -> Range {
    Range {
        start: position(text, span.start),
        end: position(text, span.end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_with_utf16_columns() {
        let text = "ab\n// é😀x\nlast";
        for k in [0, 1, 2, 3, 6, 12, text.len()] {
            if text.is_char_boundary(k) {
                assert_eq!(offset(text, position(text, k)), k, "{k}");
            }
        }
        // 😀 is two UTF-16 units.
        let x = text.find('x').expect("x");
        assert_eq!(
            position(text, x),
            Position {
                line: 1,
                character: 6
            }
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 9,
                    character: 0
                }
            ),
            text.len()
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 0,
                    character: 99
                }
            ),
            2
        );
    }
}
