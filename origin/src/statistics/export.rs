//! The statistics exported: CSV (one row per month × region × channel × product type, every
//! figure a column) and an XLSX workbook laid out like a regulator's periodic table: a titled
//! sheet with the reporting unit and period, the figures per month with a total row, then the
//! breakdowns by channel × product type and by region, and the detail rows.

use crate::statistics::Statistics;
use huifang_core::statistics::{Figures, COLUMNS};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// The CSV: a header of the figures' names, then one row per group.
pub fn csv(stats: &Statistics) -> Result<Vec<u8>, String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("csv: {e}");
    let mut header = vec!["period", "region", "channel", "product_type"];
    header.extend(COLUMNS.iter().map(|(name, _)| *name));
    out.write_record(&header).map_err(fail)?;
    for (key, f) in &stats.groups {
        let mut row = vec![
            key.period.clone(),
            cell(&key.region),
            cell(&key.channel),
            cell(&key.product_type),
        ];
        row.extend(f.values().iter().map(u64::to_string));
        out.write_record(&row).map_err(fail)?;
    }
    out.into_inner().map_err(|e| format!("csv: {e}"))
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The title of the workbook's first sheet.
pub fn title(year: i32) -> String {
    format!("人身保险电子化回访情况统计表（{year}年度）")
}

fn table(
    sheet: &mut Worksheet,
    first_row: u32,
    first: &str,
    rows: &[(String, Figures)],
    total: &Figures,
) -> Result<u32, XlsxError> {
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("D9E1F2");
    let body = Format::new().set_border(FormatBorder::Thin);
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    sheet.write_string_with_format(first_row, 0, first, &head)?;
    for (c, (_, zh)) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(first_row, c as u16 + 1, *zh, &head)?;
    }
    sheet.set_row_height(first_row, 48)?;
    let mut r = first_row + 1;
    for (label, f) in rows {
        sheet.write_string_with_format(r, 0, label, &body)?;
        for (c, v) in f.values().iter().enumerate() {
            sheet.write_number_with_format(r, c as u16 + 1, *v as f64, &body)?;
        }
        r += 1;
    }
    sheet.write_string_with_format(r, 0, "合计", &bold)?;
    for (c, v) in total.values().iter().enumerate() {
        sheet.write_number_with_format(r, c as u16 + 1, *v as f64, &bold)?;
    }
    Ok(r + 1)
}

/// The workbook's bytes.
pub fn xlsx(stats: &Statistics) -> Result<Vec<u8>, String> {
    build(stats).map_err(|e| format!("xlsx: {e}"))
}

fn build(stats: &Statistics) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let total = stats.total();
    let title_format = Format::new().set_bold().set_font_size(14);
    {
        let sheet = book.add_worksheet().set_name("统计表")?;
        sheet.write_string_with_format(0, 0, title(stats.year), &title_format)?;
        sheet.write_string(1, 0, "填报单位：（保险公司名称）")?;
        sheet.write_string(
            2,
            0,
            format!(
                "统计期间：{}年1月至12月（按回访发起月份，北京时间）",
                stats.year
            ),
        )?;
        sheet.write_string(3, 0, "单位：件")?;
        table(sheet, 4, "月份", &stats.by_month(), &total)?;
        sheet.set_column_width(0, 22)?;
        sheet.set_column_range_width(1, COLUMNS.len() as u16, 12)?;
    }
    {
        let sheet = book.add_worksheet().set_name("按渠道和产品类型")?;
        let rows: Vec<(String, Figures)> = stats
            .by(|k| {
                let words = crate::console::words::stratum;
                words(&format!("{} × {}", k.channel, k.product_type))
            })
            .into_iter()
            .collect();
        table(sheet, 0, "渠道 × 产品类型", &rows, &total)?;
        sheet.set_column_width(0, 36)?;
    }
    {
        let sheet = book.add_worksheet().set_name("按地区")?;
        let rows: Vec<(String, Figures)> = stats.by(|k| k.region.clone()).into_iter().collect();
        table(sheet, 0, "地区", &rows, &total)?;
        sheet.set_column_width(0, 22)?;
    }
    {
        let sheet = book.add_worksheet().set_name("明细")?;
        let mut header = vec!["period", "region", "channel", "product_type"];
        header.extend(COLUMNS.iter().map(|(name, _)| *name));
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, *h)?;
        }
        for (r, (key, f)) in stats.groups.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &key.period)?;
            sheet.write_string(r, 1, &key.region)?;
            sheet.write_string(r, 2, &key.channel)?;
            sheet.write_string(r, 3, &key.product_type)?;
            for (c, v) in f.values().iter().enumerate() {
                sheet.write_number(r, c as u16 + 4, *v as f64)?;
            }
        }
    }
    book.save_to_buffer()
}
